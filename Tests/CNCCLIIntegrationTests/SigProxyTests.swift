import Foundation
import Glibc
import Testing

/// `cnc run` in the foreground forwards the signals it gets to the container (docker's
/// sig-proxy); with `--sig-proxy=false` it does not: SIGTERM ends cnc and the container runs on
/// (also with `--rm`, which then falls to the container's monitor).
@Suite(.serialized) struct SigProxyTests {
    /// A workload that says when its TERM trap is set and exits 7 on TERM.
    static let trapping = ["sh", "-c", "trap 'exit 7' TERM; echo ready > /gate/ready; while :; do sleep 0.1; done"]

    /// Docker's spellings of the flag: none (default true), bare, and with a value.
    @Test(arguments: [nil, "--sig-proxy", "--sig-proxy=false", "--sig-proxy=0"])
    func sigtermReachesTheContainerOnlyWithSigProxy(_ spelling: String?) throws {
        let proxied = !(spelling ?? "").hasSuffix("false") && !(spelling ?? "").hasSuffix("0")
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        let gate = box.dir + "/gate"
        try FileManager.default.createDirectory(atPath: gate, withIntermediateDirectories: true)
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        let flags = (spelling.map { [$0] } ?? []) + ["--rm", "--network", "none", "--name", "sp", "-v", gate + ":/gate", "bb:1"]
        let pid = try box.start(["run"] + flags + Self.trapping, fds: [devnull, devnull, devnull])
        var status: Int32 = 0
        defer { if kill(pid, 0) == 0 { kill(pid, SIGKILL); _ = waitpid(pid, &status, 0) } }
        #expect(box.eventually { FileManager.default.fileExists(atPath: gate + "/ready") }, "the workload did not start")
        #expect(kill(pid, SIGTERM) == 0)
        #expect(waitpid(pid, &status, 0) == pid)
        if proxied {
            // Forwarded: the trap ran, cnc reports the workload's status, --rm removed it.
            #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 7, "raw wait status \(status)")
            #expect(box.eventually { (try? box.cnc(["ps", "-a", "-q"]).stdout) == "" })
        } else {
            // Not forwarded: cnc died of the signal, the container runs on under its monitor.
            #expect(status & 0x7f == SIGTERM, "raw wait status \(status)")
            #expect(try box.status("sp") == "running")
            #expect(try box.cnc(["stop", "-t", "5", "sp"]).status == 0)
            // Its monitor removes the --rm container once it exits (the trap: code 7).
            #expect(box.eventually { (try? box.cnc(["ps", "-a", "-q"]).stdout) == "" }, "--rm container left after its exit")
        }
    }
}
