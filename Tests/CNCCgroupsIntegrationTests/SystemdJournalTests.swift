import CNCCore
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

/// `--log-driver journald` inside a real systemd (SystemdHarness): docker's fields as
/// `journalctl` shows them, the priority by stream, `--log-opt tag=`, and `cnc logs` /
/// `cncapply logs` reading the entries back (-t, --tail, --since, --until, -f).
@Suite(.serialized) struct SystemdJournalTests {
    @Test(.enabled(if: SystemdCNC.canRun, "\(SystemdCNC.skipReason)"))
    func journaldFieldsAndLogs() throws {
        let s = try SystemdCNC("cnc-systemd-journal")
        s.cleanup = [[SystemdCNC.bin + "/cnc", "--root", s.root, "rm", "-f", "jl", "jf"],
                     [SystemdCNC.bin + "/cncapply", "--root", s.root, "down", "-p", "japp"]]
        defer { s.stop() }
        let r = try s.cnc(["run", "-d", "--name", "jl", "--log-driver", "journald", "--log-opt", "tag=app/{{.Name}}/{{.ID}}",
                           "--network", "none", "--rootfs", s.rootfs, "busybox", "sh", "-c", "echo to out; echo to err >&2; echo second"])
        #expect(r.status == 0, "\(r.err)")
        let id = r.out.trimmingSpaces
        #expect(try s.cnc(["wait", "jl"]).out.trimmingSpaces == "0")

        // The fields, read by journalctl (one JSON object per entry).
        let j = try s.h.exec(["journalctl", "-o", "json", "--no-pager", "CONTAINER_ID_FULL=" + id])
        let entries = j.out.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        #expect(entries.count == 3, "\(j.out)\(j.err)")
        let tag = "app/jl/" + String(id.prefix(12))
        for e in entries {
            #expect(e["CONTAINER_ID"] as? String == String(id.prefix(12)))
            #expect(e["CONTAINER_NAME"] as? String == "jl")
            #expect(e["CONTAINER_TAG"] as? String == tag && e["SYSLOG_IDENTIFIER"] as? String == tag)
            #expect(e["IMAGE_NAME"] as? String == "busybox")
        }
        let byMessage = Dictionary(entries.compactMap { e in (e["MESSAGE"] as? String).map { ($0, e["PRIORITY"] as? String) } }, uniquingKeysWith: { a, _ in a })
        #expect(byMessage == ["to out": "6", "to err": "3", "second": "6"], "\(byMessage)")

        // cnc logs reads them back: stdout and stderr to their own streams, -t, --tail.
        let logs = try s.cnc(["logs", "jl"])
        #expect(logs.out == "to out\nsecond\n" && logs.err == "to err\n", "\(logs)")
        let tail = try s.cnc(["logs", "-t", "--tail", "1", "jl"])
        // (stdout and stderr are separate pipes: which of "second" and "to err" is last varies.)
        let last = tail.out + tail.err
        #expect(last.split(separator: "\n").count == 1 && last.hasPrefix("20") && (last.hasSuffix("Z second\n") || last.hasSuffix("Z to err\n")), "\(last)")
        #expect(try s.cnc(["logs", "--until", "2000-01-01T00:00:00Z", "jl"]).out.isEmpty)
        #expect(try s.cnc(["logs", "--since", "2000-01-01T00:00:00Z", "jl"]).out == "to out\nsecond\n")

        // -f follows until the container stops.
        let f = try s.cnc(["run", "-d", "--name", "jf", "--log-driver", "journald", "--network", "none", "--rootfs", s.rootfs, "busybox",
                           "sh", "-c", "for i in 1 2 3; do echo n$i; sleep 0.2; done"])
        #expect(f.status == 0, "\(f.err)")
        let followed = try s.cnc(["logs", "-f", "jf"])
        #expect(followed.out == "n1\nn2\nn3\n", "\(followed)")

        // Compose's logging.driver: journald, read back by cncapply logs.
        #expect(try run("/bin/tar", ["-C", s.rootfs, "-cf", s.tmp.path + "/rootfs.tar", "."]).status == 0)
        #expect(try s.cnc(["import", s.tmp.path + "/rootfs.tar", "app:stable"]).status == 0)
        let spec = s.tmp.path + "/app.yaml"
        try """
        name: japp
        services:
          hello:
            image: app:stable
            command: ["sh", "-c", "echo hello from the journal; sleep 1000"]
            network_mode: none
            stop_grace_period: 0s
            logging:
              driver: journald
              options:
                tag: "{{.Name}}"

        """.write(toFile: spec, atomically: true, encoding: .utf8)
        let applied = try s.cncapply(["-f", spec])
        #expect(applied.status == 0, "\(applied.err)")
        var appLogs = ""
        for _ in 0..<50 where !appLogs.contains("hello from the journal") {
            appLogs = try s.cncapply(["logs", "-p", "japp"]).out
            if !appLogs.contains("hello from the journal") { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(appLogs.contains("hello") && appLogs.contains("hello from the journal"), "\(appLogs)")
        let tagged = try s.h.exec(["journalctl", "-o", "cat", "--no-pager", "SYSLOG_IDENTIFIER=japp-hello-1"])
        #expect(tagged.out.contains("hello from the journal"), "\(tagged.out)")
        #expect(try s.cncapply(["down", "-p", "japp"]).status == 0)
    }

    /// `--log-driver none` keeps nothing, and says so in docker's words; bad drivers and options
    /// are refused before anything is made.
    @Test(.enabled(if: SystemdCNC.canRun, "\(SystemdCNC.skipReason)"))
    func driverErrors() throws {
        let s = try SystemdCNC("cnc-systemd-journal-errors")
        s.cleanup = [[SystemdCNC.bin + "/cnc", "--root", s.root, "rm", "-f", "quiet"]]
        defer { s.stop() }
        #expect(try s.cnc(["run", "-d", "--name", "quiet", "--log-driver", "none", "--network", "none", "--rootfs", s.rootfs, "busybox", "echo", "hi"]).status == 0)
        let none = try s.cnc(["logs", "quiet"])
        #expect(none.status != 0 && none.err == "Error: configured logging driver does not support reading\n", "\(none)")
        let bogus = try s.cnc(["run", "--rm", "--log-driver", "bogus", "--network", "none", "--rootfs", s.rootfs, "busybox", "true"])
        #expect(bogus.status == 125 && bogus.err.contains("logger: no log driver named 'bogus' is registered"), "\(bogus)")
        let opt = try s.cnc(["run", "--rm", "--log-driver", "journald", "--log-opt", "max-size=1m", "--network", "none", "--rootfs", s.rootfs, "busybox", "true"])
        #expect(opt.status == 125 && opt.err.contains("unknown log opt 'max-size' for journald log driver"), "\(opt)")
        #expect(try s.cnc(["ps", "-aq"]).out.split(separator: "\n").count == 1)
    }

    /// On a host without journald, `--log-driver journald` is refused as docker refuses it, and
    /// `cnc info` says why; nothing is created.
    @Test(.enabled(if: Host.effectiveUserID == 0 && !FileSystem.exists("/run/systemd/journal/socket")
                   && FileSystem.isExecutable(SystemdCNC.bin + "/cnc-cli"), "needs root, the built cnc, and a host without journald"))
    func journaldAbsentIsRefused() throws {
        let tmp = try TempDir("cnc-no-journald")
        let root = tmp.path + "/root"
        let r = try run(SystemdCNC.bin + "/cnc", ["--root", root, "run", "--rm", "--log-driver", "journald", "--network", "none",
                                                  "--rootfs", tmp.path, "busybox", "true"])
        #expect(r.status == 125 && r.err == "Error: failed to initialize logging driver: journald is not enabled on this host\n", "\(r)")
        #expect(try run(SystemdCNC.bin + "/cnc", ["--root", root, "ps", "-aq"]).out.isEmpty)
        let info = try run(SystemdCNC.bin + "/cnc", ["--root", root, "info"]).out
        #expect(info.contains("Logging driver:   json-file (default); also journald (not enabled on this host: no journald socket), none"), "\(info)")
    }
}
