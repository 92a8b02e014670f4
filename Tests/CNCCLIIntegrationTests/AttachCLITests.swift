import CNCCore
import CNCSystem
import Foundation
import Glibc
import Testing

/// `cnc attach` to real containers through their monitor's attach socket: output, exit codes,
/// input, sig-proxy, a terminal with detach keys, and Docker's refusals.
@Suite(.serialized) struct AttachCLITests {
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func streamsOutputAndEndsWithTheContainersExitCode() throws {
        let r = try BusyboxRoot()
        let run = try r.cnc(["run", "-d", "--name", "loop", "bb:1", "sh", "-c",
                             "i=0; while [ $i -lt 40 ]; do echo tick $i; echo err $i >&2; i=$((i+1)); sleep 0.1; done; exit 3"])
        #expect(run.status == 0, "\(run.stderr)")
        let a = try r.cnc(["attach", "loop"])
        #expect(a.status == 3, "\(a.stderr)")
        // What the container wrote while attached, each stream to its own.
        #expect(a.stdout.contains("tick 39\n") && !a.stdout.contains("err "))
        #expect(a.stderr.contains("err 39\n"))
        #expect(try r.status("loop") == "exited")
        let stopped = try r.cnc(["attach", "loop"])
        #expect(stopped.status == 1 && stopped.stderr == "Error: You cannot attach to a stopped container, start it first\n")
        #expect(try r.cnc(["create", "--name", "fresh", "bb:1", "true"]).status == 0)
        #expect(try r.cnc(["attach", "fresh"]).stderr == "Error: You cannot attach to a stopped container, start it first\n")
        #expect(try r.cnc(["attach", "nosuch"]).stderr == "Error: No such container: nosuch\n")
        #expect(try r.cnc(["run", "-d", "--name", "held", "bb:1", "sleep", "60"]).status == 0)
        #expect(try r.cnc(["pause", "held"]).status == 0)
        #expect(try r.cnc(["attach", "held"]).stderr == "Error: You cannot attach to a paused container, unpause it first\n")
        #expect(try r.cnc(["unpause", "held"]).status == 0)
        let keys = try r.cnc(["attach", "--detach-keys", "ctrl-1", "held"])
        #expect(keys.status == 1 && keys.stderr == "Error: Invalid detach keys (ctrl-1) provided\n")
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func typesIntoTheStdinOfAContainerCreatedWithDashI() throws {
        let r = try BusyboxRoot()
        #expect(try r.cnc(["run", "-d", "-i", "--name", "reader", "bb:1", "sh", "-c", "read line; echo got $line; exit 4"]).status == 0)
        let a = try r.cnc(["attach", "reader"], stdin: "hello\n")
        #expect(a.status == 4 && a.stdout == "got hello\n", "\(a.stdout) \(a.stderr)")
        // --no-stdin: nothing typed reaches it; it still shows the output.
        #expect(try r.cnc(["run", "-d", "-i", "--name", "r2", "bb:1", "sh", "-c", "sleep 1; echo ready; read -t 2 line; echo [$line]"]).status == 0)
        let b = try r.cnc(["attach", "--no-stdin", "r2"], stdin: "ignored\n")
        #expect(b.status == 0 && b.stdout.hasSuffix("[]\n"), "\(b.stdout)")
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func sigProxyForwardsTermToTheContainer() throws {
        let r = try BusyboxRoot()
        let script = "trap 'echo got TERM; exit 7' TERM; while true; do echo tick; sleep 0.1; done"
        #expect(try r.cnc(["run", "-d", "--name", "trap", "bb:1", "sh", "-c", script]).status == 0)
        let out = try CNCSystem.Pipe()
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        let pid = try r.start(["attach", "trap"], fds: [devnull, out.write.raw, devnull])
        out.write.close()
        var seen: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: seen, as: UTF8.self).contains("tick"), let n = try? FD.read(out.read.raw, into: &buf), n > 0 { seen += buf[0..<n] }
        kill(pid, SIGTERM)
        seen += FD.readAll(out.read.raw)
        out.read.close()
        #expect(try Spawn.wait(pid).shellStatus == 7)
        #expect(String(decoding: seen, as: UTF8.self).contains("got TERM\n"))
        #expect(try r.status("trap") == "exited")
        // --sig-proxy=false: the signal ends `cnc attach` alone.
        #expect(try r.cnc(["run", "-d", "--name", "trap2", "bb:1", "sh", "-c", script]).status == 0)
        let out2 = try CNCSystem.Pipe()
        let pid2 = try r.start(["attach", "--sig-proxy=false", "trap2"], fds: [devnull, out2.write.raw, devnull])
        out2.write.close()
        seen = []
        while !String(decoding: seen, as: UTF8.self).contains("tick"), let n = try? FD.read(out2.read.raw, into: &buf), n > 0 { seen += buf[0..<n] }
        kill(pid2, SIGTERM)
        _ = FD.readAll(out2.read.raw)
        out2.read.close()
        #expect(try Spawn.wait(pid2).shellStatus == 128 + SIGTERM)
        #expect(try r.status("trap2") == "running")
    }

    /// Attaches a terminal to `name`'s shell and exits it: attach ends with the shell's status.
    static func attachAndExit(_ r: BusyboxRoot, _ name: String) throws {
        let pty = try PTY()
        let pid = try r.start(["attach", name], fds: [pty.slave, pty.slave, pty.slave])
        usleep(300_000)
        pty.type(Array("exit 5\r".utf8))
        #expect(try Spawn.wait(pid).shellStatus == 5)
        #expect(r.eventually { (try? r.status(name)) == "exited" })
    }

    /// docker's `run -it` habit: Ctrl-P Ctrl-Q (or `--detach-keys`) leaves the container running
    /// and `run` exits 0, silently; `attach` finds it again. With --rm it is removed when it ends.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func runDashItDetachesOnTheKeys() throws {
        let r = try BusyboxRoot()
        // Bad keys: docker's words, status 125, nothing made.
        let bad = try r.cnc(["run", "-it", "--detach-keys", "ctrl-1", "--name", "never", "bb:1", "sh"])
        #expect(bad.status == 125 && bad.stderr == "Error: Invalid detach keys (ctrl-1) provided\n", "\(bad.stderr)")
        #expect(try r.cnc(["inspect", "never"]).status == 1)
        for (name, flags, keys) in [("itc", [String](), [UInt8(16), 17]), ("itr", ["--rm", "--detach-keys", "ctrl-a,x"], [1, 120])] {
            let pty = try PTY()
            let pid = try r.start(["run", "-it", "--name", name] + flags + ["bb:1", "sh"], fds: [pty.slave, pty.slave, pty.slave])
            let (answered, shown) = pty.shellEchoes(r)
            #expect(answered, "\(shown)")
            pty.typeKeys(keys)
            // A run that did not detach would wait forever: 30 s, then it is killed and fails.
            var raw: Int32 = 0
            let ended = r.eventually { waitpid(pid, &raw, WNOHANG) == pid }
            if !ended { kill(pid, SIGKILL); _ = waitpid(pid, &raw, 0) }
            #expect(ended && raw & 0x7f == 0 && (raw >> 8) & 0xff == 0, "run -it did not detach (\(raw))")
            let after = pty.read(until: "never shown", seconds: 1)
            #expect(!after.contains("read escape sequence") && !after.contains("Error"), "\(after)")
            #expect(try r.status(name) == "running")
        }
        // Attached again, it is the same shell; its exit is attach's status.
        try Self.attachAndExit(r, "itc")
        // The --rm one goes once it ends.
        #expect(try r.cnc(["stop", "-t", "0", "itr"]).status == 0)
        #expect(r.eventually { (try? r.cnc(["inspect", "itr"]).status) == 1 })
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func attachesATerminalAndDetachesOnTheKeys() throws {
        let r = try BusyboxRoot()
        #expect(try r.cnc(["run", "-d", "-i", "-t", "--name", "tty", "bb:1", "sh"]).status == 0)
        // Docker's rule: a terminal container's input must be a terminal.
        let notTTY = try r.cnc(["attach", "tty"], stdin: "")
        #expect(notTTY.status == 1 && notTTY.stderr == "Error: the input device is not a TTY\n")
        for (flags, keys) in [([String](), [UInt8(16), 17]), (["--detach-keys", "ctrl-a,x"], [1, 120])] {
            let pty = try PTY()
            let pid = try r.start(["attach"] + flags + ["tty"], fds: [pty.slave, pty.slave, pty.slave])
            // Typed into the container's shell, echoed back through its terminal.
            let (answered, shown) = pty.shellEchoes(r)
            #expect(answered, "\(shown)")
            // It took our window size (30x100).
            pty.type(Array("stty size\r".utf8))
            #expect(pty.read(until: "30 100").contains("30 100"))
            // The detach keys, one keystroke at a time: attach ends as docker's does (moby/term's
            // EscapeError: "read escape sequence", exit 1), the shell runs on.
            pty.typeKeys(keys)
            #expect(try Spawn.wait(pid).shellStatus == 1)
            #expect(pty.read(until: "read escape sequence", seconds: 5).contains("read escape sequence"))
            #expect(try r.status("tty") == "running")
        }
        // Exiting the shell ends the attachment with its code.
        try Self.attachAndExit(r, "tty")
    }
}

extension PTY {
    /// Types a command into the shell behind this terminal until its output shows (the shell
    /// may not read yet): whether it did, and what the terminal showed.
    func shellEchoes(_ r: BusyboxRoot) -> (Bool, String) {
        var shown = ""
        let answered = r.eventually {
            type(Array("echo he''llo $((6*7))\r".utf8))
            shown += read(until: "hello 42", seconds: 1)
            return shown.contains("hello 42")
        }
        return (answered, shown)
    }

    /// Keys typed one at a time, as a person types them (the detach keys match keystrokes only).
    func typeKeys(_ keys: [UInt8]) {
        for k in keys {
            type([k])
            usleep(200_000)
        }
    }
}
