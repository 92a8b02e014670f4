import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime

/// `cnc volume create [NAME]`: prints the name (a random one without NAME); an existing
/// volume is left as it is, as docker's is.
struct VolumeCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a volume.",
        discussion: "EXAMPLES\n  cnc volume create data\n  cnc volume create --label env=dev data\n  cnc volume create --name data")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("d"), .long], help: "Specify volume driver name.") var driver = "local"
    @Option(name: .long, help: "Set metadata for a volume (KEY[=VALUE]).") var label: [String] = []
    @Option(name: [.customShort("o"), .long], help: "Set driver specific options (not supported yet: the local driver without options only).") var opt: [String] = []
    @Option(name: .customLong("name"), help: "Specify volume name.") var nameOption: String?
    @Argument(help: "Volume name.") var name: String?

    func validate() throws {
        if name != nil && nameOption != nil && name != nameOption {
            throw ValidationError("conflicting options: cannot specify a volume-name through both --name and as a positional arg")
        }
    }

    func run() throws {
        try dockerErrors {
            guard driver == "local" else { throw CNCError(.notFound, "create \(name ?? nameOption ?? ""): error looking up volume plugin \(driver): plugin \"\(driver)\" not found") }
            guard opt.isEmpty else {
                throw CNCError(.unsupported, "volume options (-o \(opt.joined(separator: ","))) are not supported yet: cnc's local driver keeps a volume as a directory")
            }
            var labels: [String: String] = [:]
            for l in label {
                let kv = l.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                labels[kv[0]] = kv.count > 1 ? kv[1] : ""
            }
            let r = try global.runtime()
            let v = try r.volumes.create(name ?? nameOption, labels: labels)
            print(v.name)
        }
    }
}
