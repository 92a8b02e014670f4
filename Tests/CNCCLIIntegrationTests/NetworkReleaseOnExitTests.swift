import CNCCore
import CNCNetwork
import Foundation
import Testing

/// A container that exits by itself gives up its network attachment when it exits (docker
/// frees the endpoint then), not at the next stop, rm or start: its monitor runs
/// `cnc network-detach-hook`.
@Suite(.serialized) struct NetworkReleaseOnExitTests {
    @Test func aContainerThatExitsByItselfReleasesItsAddressAndName() throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        let net = try CLI.exec(CLI.binDir + "/cnc", ["network", "create", "--root", box.root, "relnet"])
        #expect(net.status == 0, "\(net.stderr)")
        // The gate: the container runs until the test has seen it attached.
        let gateDir = box.dir + "/gate"
        try FileManager.default.createDirectory(atPath: gateDir, withIntermediateDirectories: true)
        let gate = gateDir + "/gate"
        let run = try box.cnc(["run", "-d", "--network", "relnet", "--name", "brief", "-v", gateDir + ":/gate", "bb:1",
                               "sh", "-c", "while [ ! -e /gate/gate ]; do sleep 0.05; done"])
        #expect(run.status == 0, "\(run.stderr)")
        let id = try ContainerID(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let networks = NetworkManager(root: box.root)
        #expect(networks.attachments(of: id).count == 1, "attached while it runs")
        let firstPid = try box.cnc(["inspect", "--format", "{{.State.Pid}}", "brief"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try networks.endpoints("relnet").count == 1)
        #expect(FileManager.default.createFile(atPath: gate, contents: nil))
        #expect(box.eventually { (try? box.status("brief")) == "exited" }, "the container exits")
        // Released by the time `exited` is visible: no wait.
        #expect(networks.attachments(of: id).isEmpty, "still attached: \(networks.attachments(of: id).map(\.address))")
        #expect(try networks.endpoints("relnet").isEmpty)
        let records = (try? String(contentsOfFile: box.root + "/networks/dns/records", encoding: .utf8)) ?? ""
        #expect(!records.contains(id.short), "DNS record left: \(records)")
        // A restart of the stopped container attaches anew.
        try? FileManager.default.removeItem(atPath: gate)
        let start = try box.cnc(["start", "brief"])
        #expect(start.status == 0, "\(start.stderr)")
        #expect(networks.attachments(of: id).count == 1, "attached again after start")
        // A late release for the first run's init leaves the new run's attachment alone.
        let late = try CLI.exec(CLI.binDir + "/cnc-cli", ["network-detach-hook", "--root", box.root, id.rawValue, firstPid])
        #expect(late.status == 0, "\(late.stderr)")
        #expect(networks.attachments(of: id).count == 1, "the new run's attachment survives a release for the old pid")
        #expect(try box.cnc(["rm", "-f", "brief"]).status == 0)
        #expect(networks.attachments(of: id).isEmpty)
        #expect(try CLI.exec(CLI.binDir + "/cnc", ["network", "rm", "--root", box.root, "relnet"]).status == 0)
    }

    /// A `--restart always` container keeps its attachment between runs; `cnc stop` while it
    /// waits out the backoff releases it (it used to stay: neither the stopper nor the monitor
    /// released it).
    @Test func stoppingARestartingContainerReleasesItsAttachment() throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        let net = try CLI.exec(CLI.binDir + "/cnc", ["network", "create", "--root", box.root, "restnet"])
        #expect(net.status == 0, "\(net.stderr)")
        let run = try box.cnc(["run", "-d", "--restart", "always", "--network", "restnet", "--name", "flappy", "bb:1", "sh", "-c", "exit 3"])
        #expect(run.status == 0, "\(run.stderr)")
        let id = try ContainerID(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        // After a few runs the backoff (100 ms doubling) keeps it restarting most of the time.
        #expect(box.eventually(seconds: 30) {
            let count = Int((try? box.cnc(["inspect", "--format", "{{.RestartCount}}", "flappy"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? "") ?? 0
            return count >= 3 && (try? box.status("flappy")) == "restarting"
        }, "the container restarts")
        let networks = NetworkManager(root: box.root)
        #expect(networks.attachments(of: id).count == 1, "restarts keep the attachment")
        let stop = try box.cnc(["stop", "flappy"])
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(try box.status("flappy") == "exited")
        #expect(networks.attachments(of: id).isEmpty, "still attached: \(networks.attachments(of: id).map(\.address))")
        #expect(try networks.endpoints("restnet").isEmpty)
        #expect(try box.cnc(["rm", "-f", "flappy"]).status == 0)
        #expect(try CLI.exec(CLI.binDir + "/cnc", ["network", "rm", "--root", box.root, "restnet"]).status == 0)
    }
}
