import ArgumentParser
import CNCCore
import CNCSpec
import CNCSystem

/// `cncapply config`: print the normalized spec (defaults filled, short syntax expanded,
/// variables interpolated) — byte-stable, the input of config hashes.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the normalized app spec (sorted keys, byte-stable) as YAML or JSON.",
        discussion: "EXAMPLES\n  cncapply config\n  cncapply config -f app.yaml -f prod.yaml -o json\n  cncapply config --profile debug")

    enum Format: String, ExpressibleByArgument, CaseIterable { case yaml, json }

    @OptionGroup var spec: SpecOptions

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: yaml or json.")
    var output: Format = .yaml

    func run() async throws {
        let loaded = try spec.loadReporting(asWritten: true)
        let tree = try loaded.app.jsonValue()
        switch output {
        case .yaml: print(YAMLWriter(escapeDollars: true).string(tree), terminator: "")
        case .json: print(try CanonicalJSON.string(tree, pretty: true), terminator: "")
        }
    }
}
