import CNCCore
import CNCNetwork
import Foundation
import Testing

/// Docker's guarantee: when `run` (foreground), `kill`, `stop` or `wait` returns, `inspect`
/// shows the exit, and the container has left its networks; no polling needed. On a user
/// network the monitor's release takes tens of milliseconds before it records the exit, so a
/// command that returned on the process's death alone would be caught here.
@Suite(.serialized) struct StateWhenCommandsReturnTests {
    enum Ending: String, CaseIterable, Sendable { case run, kill, stop, wait }

    @Test(arguments: Ending.allCases)
    func inspectShowsTheExitOnceTheCommandReturns(_ ending: Ending) throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        let network = { (verb: String) throws in try CLI.exec(CLI.binDir + "/cnc", ["network", verb, "--root", box.root, "endnet"]) }
        let net = try network("create")
        try #require(net.status == 0, "\(net.stderr)")
        defer { _ = try? box.cnc(["rm", "-f", "ending"]); _ = try? network("rm") }
        let run = { (command: [String]) throws in
            let r = try box.cnc(["run", "-d", "--network", "endnet", "--name", "ending", "bb:1"] + command)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let expected: String
        switch ending {
        case .run:
            let r = try box.cnc(["run", "--network", "endnet", "--name", "ending", "bb:1", "sh", "-c", "exit 3"])
            #expect(r.status == 3, "\(r.stderr)")
            expected = "exited 3"
        case .kill:
            try run(["sleep", "1000"])
            let r = try box.cnc(["kill", "ending"])
            #expect(r.status == 0, "\(r.stderr)")
            expected = "exited 137"
        case .stop:
            try run(["sleep", "1000"])
            let r = try box.cnc(["stop", "-t", "0", "ending"])
            #expect(r.status == 0, "\(r.stderr)")
            expected = "exited 137"
        case .wait:
            try run(["sh", "-c", "sleep 0.3; exit 4"])
            let r = try box.cnc(["wait", "ending"])
            #expect(r.status == 0 && r.stdout == "4\n", "\(r.stdout) \(r.stderr)")
            expected = "exited 4"
        }
        let state = try box.cnc(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.Id}}", "ending"]).stdout
        #expect(state.hasPrefix(expected + " "), "after \(ending.rawValue) returned: \(state)")
        let id = try ContainerID(String(state.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(NetworkManager(root: box.root).attachments(of: id).isEmpty, "still attached after \(ending.rawValue) returned")
    }
}
