import ArgumentParser
import CNCCore

/// `cnc version` / `cncapply version`.
public struct VersionCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "version", abstract: "Show the cnc version.",
        discussion: "EXAMPLES\n  cnc version\n  cncapply version --format json")

    @OptionGroup var global: GlobalOptions

    @Option(name: [.short, .long], help: "Output format: text or json.")
    var format: ReportFormat = .text

    public init() {}

    public func run() throws {
        struct Report: Encodable { let version: String; let ociRuntimeSpec: String }
        let report = Report(version: CNCVersion.current, ociRuntimeSpec: CNCVersion.ociRuntimeSpec)
        switch format {
        case .json: print(try CanonicalJSON.string(report, pretty: true), terminator: "")
        case .text: print("cnc version \(report.version) (OCI runtime spec \(report.ociRuntimeSpec))")
        }
    }
}

extension VersionCommand: RunsOutsideRootlessNamespace {}
