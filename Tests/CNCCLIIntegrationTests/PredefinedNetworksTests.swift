import Foundation
import Testing

/// Docker's predefined networks: `network ls` shows `bridge` (cnc's default network), `host`
/// and `none`; `--network bridge` is the default network; `inspect bridge` reads as docker's
/// default bridge; the pseudo-networks cannot be removed (docker's words, exit 1).
@Suite(.serialized) struct PredefinedNetworksTests {
    @Test func bridgeHostAndNoneAsDockersAre() throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        let net = { (args: [String]) throws in try CLI.exec(CLI.binDir + "/cnc", ["network"] + args + ["--root", box.root]) }
        let r = try box.cnc(["run", "-d", "--network", "bridge", "--name", "onbridge", "bb:1", "sleep", "100"])
        #expect(r.status == 0, "\(r.stderr)")
        defer { _ = try? box.cnc(["rm", "-f", "onbridge"]) }
        let ls = try net(["ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"]).stdout
        #expect(ls == "bridge bridge local\nhost host local\nnone null local\n", "\(ls)")
        #expect(try net(["ls", "-q"]).stdout.split(separator: "\n").count == 3)
        let table = try net(["ls"]).stdout.split(separator: "\n").map(String.init)
        #expect(table.first?.hasPrefix("NETWORK ID     NAME      DRIVER    SCOPE") == true, "\(table)")
        // The default network under docker's name, with docker's default-bridge options.
        let inspect = try net(["inspect", "-f", "{{.Name}} {{.Driver}} {{index .Options \"com.docker.network.bridge.default_bridge\"}} {{len .Containers}}", "bridge"])
        #expect(inspect.stdout == "bridge bridge true 1\n", "\(inspect.stdout)\(inspect.stderr)")
        let joined = try box.cnc(["inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "onbridge"]).stdout
        #expect(joined == "bridge \n", "\(joined)")
        #expect(try net(["inspect", "-f", "{{.Name}} {{.Driver}}", "none"]).stdout == "none null\n")
        #expect(try net(["inspect", "-f", "{{.Name}} {{.Driver}}", "host"]).stdout == "host host\n")
        for name in ["host", "none"] {
            let rm = try net(["rm", name])
            #expect(rm.status == 1 && rm.stderr == "Error: \(name) is a pre-defined network and cannot be removed\n", "\(rm.stderr)")
        }
    }

    /// `network ls --filter` as docker's: name (part of it), id (prefix), driver, label, type
    /// (builtin or custom), scope; one key's values are alternatives; an unknown key is refused.
    @Test func lsFilters() throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        let net = { (args: [String]) throws in try CLI.exec(CLI.binDir + "/cnc", ["network"] + args + ["--root", box.root]) }
        let made = try net(["create", "--label", "tier=db", "fhapp1"])
        #expect(made.status == 0, "\(made.stderr)")
        defer { _ = try? net(["rm", "fhapp1"]) }
        func names(_ filters: [String]) throws -> String {
            try net(["ls", "--format", "{{.Name}}"] + filters.flatMap { ["--filter", $0] }).stdout
        }
        #expect(try names(["name=app"]) == "fhapp1\n")
        #expect(try names(["type=builtin"]) == "host\nnone\n" || names(["type=builtin"]) == "bridge\nhost\nnone\n")
        #expect(try names(["type=custom"]) == "fhapp1\n")
        #expect(try names(["driver=null", "driver=host"]) == "host\nnone\n")
        #expect(try names(["label=tier=db"]) == "fhapp1\n" && names(["label=tier"]) == "fhapp1\n" && names(["label=tier=web"]) == "")
        #expect(try names(["name=app", "driver=null"]) == "")
        let id = try net(["inspect", "-f", "{{.Id}}", "fhapp1"]).stdout.prefix(6)
        #expect(try names(["id=\(id)"]) == "fhapp1\n")
        #expect(try net(["ls", "-q", "-f", "type=custom"]).stdout.count == 13)
        let bad = try net(["ls", "--filter", "bogus=1"])
        #expect(bad.status == 1 && bad.stderr == "Error: Invalid filter 'bogus'\n", "\(bad.stderr)")
    }
}
