import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCNetwork

/// `cnc network ls`.
struct NetworkList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List networks.", aliases: ["list"])
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("q"), .long], help: "Only display network IDs.") var quiet = false
    @Option(name: .long, help: "Output format: text or json.") var format: ReportFormat = .text

    func run() throws {
        let manager = global.networkManager()
        _ = try? manager.sweep()
        let nets = try manager.list()
        if quiet { nets.forEach { print($0.id.prefix(12)) }; return }
        switch format {
        case .json: print(try CanonicalJSON.string(nets, pretty: true), terminator: "")
        case .text:
            print("NETWORK ID".padding(to: 15) + "NAME".padding(to: 24) + "DRIVER".padding(to: 10) + "SUBNET".padding(to: 20) + "INTERNAL")
            for n in nets {
                print(String(n.id.prefix(12)).padding(to: 15) + n.name.padding(to: 24) + n.driver.rawValue.padding(to: 10)
                      + (n.subnet?.description ?? "-").padding(to: 20) + (n.internal ? "yes" : "no"))
            }
        }
    }
}
