import CNCCore
import CNCSystem
import Foundation
import Glibc
import Testing

/// `cnc diff`, `export`, `commit` and `rename` on real containers (overlay, freezer), checked
/// against Docker's output and, for commit, read back by skopeo.
@Suite(.serialized) struct ContainerChangesCLITests {
    static let changes = "echo hi > /tmp/x; rm /bin/ls; mkdir /usr/local; rm -rf /var/cache; mkdir /var/cache; touch /var/cache/new; echo x >> /etc/motd"

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func diffListsTheChangesAsDockerDoes() throws {
        let r = try BusyboxRoot()
        #expect(try r.cnc(["run", "--name", "c1", "bb:1", "sh", "-c", Self.changes]).status == 0)
        let d = try r.cnc(["diff", "c1"])
        #expect(d.status == 0, "\(d.stderr)")
        // The runtime's mount points (/proc, /sys, /dev, /etc/hosts...) are not changes.
        #expect(d.stdout == """
            C /bin
            D /bin/ls
            C /etc
            C /etc/motd
            C /tmp
            A /tmp/x
            C /usr
            A /usr/local
            C /var
            D /var/cache
            A /var/cache/new

            """)
        // A running container's changes, as they happen.
        #expect(try r.cnc(["run", "-d", "--name", "live", "bb:1", "sh", "-c", "touch /tmp/live; sleep 60"]).status == 0)
        #expect(r.eventually { (try? r.cnc(["diff", "live"]).stdout) == "C /tmp\nA /tmp/live\n" })
        let missing = try r.cnc(["diff", "nosuch"])
        #expect(missing.status == 1 && missing.stderr == "Error: No such container: nosuch\n")
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func exportWritesTheContainersFilesystem() throws {
        let r = try BusyboxRoot()
        #expect(try r.cnc(["run", "--name", "c1", "bb:1", "sh", "-c", Self.changes]).status == 0)
        // Stopped: to a file.
        let out = r.dir + "/c1.tar"
        let e = try r.cnc(["export", "-o", out, "c1"])
        #expect(e.status == 0 && e.stdout.isEmpty, "\(e.stderr)")
        let names = try CLI.exec("/bin/tar", ["-tf", out]).stdout.split(separator: "\n").map(String.init)
        for present in ["bin/busybox", "bin/sh", "tmp/x", "etc/motd", "var/cache/new", "usr/local/"] { #expect(names.contains(present), "\(present)") }
        for absent in ["bin/ls", "var/cache/old"] { #expect(!names.contains(absent), "\(absent)") }
        #expect(!names.contains { $0.hasPrefix("/") || $0.hasPrefix("./") || $0.contains(".wh.") })
        let motd = try CLI.exec("/bin/tar", ["-xOf", out, "etc/motd"]).stdout
        #expect(motd == "x\n")
        // Running: to stdout (a pipe), without its mounts (/proc is an empty directory).
        #expect(try r.cnc(["run", "-d", "--name", "live", "bb:1", "sh", "-c", "echo live > /tmp/live; sleep 60"]).status == 0)
        #expect(r.eventually { (try? r.cnc(["diff", "live"]).stdout.contains("A /tmp/live")) == true })
        let live = try CLI.exec("/bin/sh", ["-c", "\"$0\" export --root \"$1\" live > \"$2\"", CLI.binDir + "/cnc", r.root, r.dir + "/live.tar"])
        #expect(live.status == 0, "\(live.stderr)")
        let liveNames = try CLI.exec("/bin/tar", ["-tf", r.dir + "/live.tar"]).stdout.split(separator: "\n")
        #expect(liveNames.contains("tmp/live") && liveNames.contains("bin/ls") && !liveNames.contains { $0.hasPrefix("proc/") && $0 != "proc/" })
        #expect(try r.status("live") == "running")
        // Docker's refusals: a terminal on stdout, a file that cannot be written (nothing left).
        let pty = try PTY()
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        let err = try CNCSystem.Pipe()
        let pid = try r.start(["export", "c1"], fds: [devnull, pty.slave, err.write.raw])
        err.write.close()
        let refusal = String(decoding: FD.readAll(err.read.raw), as: UTF8.self)
        err.read.close()
        #expect(try Spawn.wait(pid).shellStatus == 1)
        #expect(refusal == "Error: cowardly refusing to save to a terminal. Use the -o flag or redirect\n")
        let bad = try r.cnc(["export", "-o", r.dir + "/no/such/dir/x.tar", "c1"])
        #expect(bad.status == 1 && bad.stderr.hasPrefix("Error: "))
        #expect(!FileManager.default.fileExists(atPath: r.dir + "/no"))
        #expect(try r.cnc(["export", "-o", r.dir + "/x.tar", "nosuch"]).stderr == "Error: No such container: nosuch\n")
        #expect(!FileManager.default.fileExists(atPath: r.dir + "/x.tar"))
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root, the built binaries and skopeo"))
    func commitMakesAnImageThatRunsAndSkopeoReads() throws {
        let r = try BusyboxRoot()
        #expect(try r.cnc(["run", "--name", "c1", "-e", "GREETING=hello", "bb:1", "sh", "-c", Self.changes]).status == 0)
        let c = try r.cnc(["commit", "-c", "CMD [\"cat\", \"/tmp/x\"]", "-c", "ENV MODE=prod", "-m", "first commit", "-a", "Ann <ann@example.com>", "c1", "bb:2"])
        #expect(c.status == 0, "\(c.stderr)")
        let id = c.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.hasPrefix("sha256:") && id.count == 71, "\(id)")
        // It runs: the layer is on top of the image's, deletions included.
        #expect(try r.cnc(["run", "--rm", "bb:2"]).stdout == "hi\n")
        #expect(try r.cnc(["run", "--rm", "bb:2", "sh", "-c", "echo /var/cache/*"]).stdout == "/var/cache/new\n")
        #expect(try r.cnc(["run", "--rm", "bb:2", "sh", "-c", "test -e /bin/ls || echo gone; echo $GREETING $MODE"]).stdout == "gone\nhello prod\n")
        // The peer reads it from the store, with Docker's config and history.
        let ref = "oci:\(r.root)/images:docker.io/library/bb:2"
        let cfg = try CLI.exec("/usr/bin/skopeo", ["inspect", "--config", ref])
        #expect(cfg.status == 0, "\(cfg.stderr)")
        let config = try JSONSerialization.jsonObject(with: Data(cfg.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(config["author"] as? String == "Ann <ann@example.com>")
        let inner = config["config"] as? [String: Any] ?? [:]
        #expect(inner["Cmd"] as? [String] == ["cat", "/tmp/x"])
        #expect((inner["Env"] as? [String] ?? []).contains("MODE=prod"))
        #expect(((config["rootfs"] as? [String: Any])?["diff_ids"] as? [String])?.count == 2)
        let history = config["history"] as? [[String: Any]] ?? []
        #expect(history.last?["comment"] as? String == "first commit")
        #expect(history.last?["created_by"] as? String == "sh -c " + Self.changes)
        // The layer holds the changes with whiteouts as the image spec writes them.
        let manifest = try CLI.exec("/usr/bin/skopeo", ["inspect", "--raw", ref])
        let layers = (try JSONSerialization.jsonObject(with: Data(manifest.stdout.utf8)) as? [String: Any])?["layers"] as? [[String: Any]] ?? []
        let top = (layers.last?["digest"] as? String ?? "").replacingOccurrences(of: "sha256:", with: "")
        let names = try CLI.exec("/bin/tar", ["-tf", "\(r.root)/images/blobs/sha256/\(top)"]).stdout.split(separator: "\n").map(String.init)
        for n in ["bin/.wh.ls", "var/cache/", "var/cache/.wh..wh..opq", "var/cache/new", "tmp/x", "etc/motd"] { #expect(names.contains(n), "\(n) in \(names)") }
        for n in ["etc/hosts", "proc/", "dev/", "sys/"] { #expect(!names.contains(n), "\(n) in \(names)") }
        // A running container is frozen while committed and runs on after.
        #expect(try r.cnc(["run", "-d", "--name", "live", "bb:1", "sh", "-c", "while true; do date > /tmp/now; sleep 0.1; done"]).status == 0)
        #expect(try r.cnc(["commit", "live"]).status == 0)
        #expect(try r.status("live") == "running")
        #expect(try r.cnc(["commit", "--pause=false", "live", "bb:3"]).status == 0)
        // Bad input: nothing is made.
        let before = try FileManager.default.contentsOfDirectory(atPath: r.root + "/images/blobs/sha256").count
        #expect(try r.cnc(["commit", "-c", "FROM x", "c1"]).status != 0)
        #expect(try r.cnc(["commit", "c1", "Bad::ref"]).stderr.contains("invalid reference format"))
        #expect(try r.cnc(["commit", "nosuch"]).stderr == "Error: No such container: nosuch\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: r.root + "/images/blobs/sha256").count == before)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func renameFollowsDocker() throws {
        let r = try BusyboxRoot()
        #expect(try r.cnc(["create", "--name", "c1", "bb:1", "true"]).status == 0)
        #expect(try r.cnc(["create", "--name", "other", "bb:1", "true"]).status == 0)
        let ok = try r.cnc(["rename", "c1", "c2"])
        #expect(ok.status == 0 && ok.stdout.isEmpty && ok.stderr.isEmpty, "\(ok.stderr)")
        #expect(try r.cnc(["ps", "-a", "--format", "{{.Names}}"]).stdout.split(separator: "\n").sorted() == ["c2", "other"])
        // The old name is free again.
        #expect(try r.cnc(["create", "--name", "c1", "bb:1", "true"]).status == 0)
        let otherID = try r.cnc(["inspect", "--format", "{{.Id}}", "other"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let cases: [([String], String)] = [
            (["nosuch", "x"], "Error: No such container: nosuch\nError: failed to rename container named nosuch\n"),
            (["c2", "bad!"], "Error: Error when allocating new name: Invalid container name (bad!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\nError: failed to rename container named c2\n"),
            (["c2", "c2"], "Error: Renaming a container with the same name as its current name\nError: failed to rename container named c2\n"),
            (["c2", "other"], "Error: Error when allocating new name: Conflict. The container name \"/other\" is already in use by container \"\(otherID)\". You have to remove (or rename) that container to be able to reuse that name.\nError: failed to rename container named c2\n"),
            (["c2", ""], "Error: Neither old nor new names may be empty\n"),
        ]
        for (args, message) in cases {
            let res = try r.cnc(["rename"] + args)
            #expect(res.status == 1 && res.stderr == message, "\(args): \(res.stderr)")
        }
        #expect(try r.cnc(["ps", "-a", "--format", "{{.Names}}"]).stdout.split(separator: "\n").sorted() == ["c1", "c2", "other"])
    }
}
