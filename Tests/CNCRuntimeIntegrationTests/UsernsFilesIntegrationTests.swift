import CNCCore
import CNCRuntime
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

/// `--userns` and the files a container shares with the host: `cnc cp` both ways, `:U` with a
/// named user, `--mount ...,idmap`, secrets, and what a failed start leaves (nothing).
@Suite(.serialized) struct UsernsFilesIntegrationTests {
    static func owner(_ path: String) -> (UInt32, UInt32)? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path),
              let u = (a[.ownerAccountID] as? NSNumber)?.uint32Value, let g = (a[.groupOwnerAccountID] as? NSNumber)?.uint32Value else { return nil }
        return (u, g)
    }

    static func scratch() throws -> String {
        let dir = "/tmp/cnc-userns-files-\(ContainerID.random().short)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// docker cp under userns-remap: in, the host's ids are the container's (host root's file
    /// becomes the mapped root's); out, the mapped ids become the container's again.
    @Test func copyMapsOwnersBothWays() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "a\n".write(toFile: dir + "/by-root", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/tree", withIntermediateDirectories: true)
        try "b\n".write(toFile: dir + "/tree/by-1234", atomically: true, encoding: .utf8)
        #expect(chown(dir + "/tree/by-1234", 1234, 1235) == 0)
        #expect(try h.run(["-d", "--name", "c", "--network", "none", "--userns", "auto"], ["sleep", "60"]).status == 0)
        let root = try #require(try UsernsIntegrationTests.mappedRoot(h, "c"))
        let id = try h.inspect("c", "{{.Id}}")
        #expect(try h.cnc(["cp", dir + "/by-root", "c:/by-root"]).status == 0)
        #expect(try h.cnc(["cp", dir + "/tree", "c:/"]).status == 0)
        // On the host (the upper dir) the mapped ids; inside, the host's ids as the container's.
        let upper = "\(h.root)/containers/\(id)/upper"
        #expect(Self.owner(upper + "/by-root") ?? (0, 0) == (root, root))
        #expect(Self.owner(upper + "/tree/by-1234") ?? (0, 0) == (root + 1234, root + 1235))
        let e = try h.cnc(["exec", "c", "sh", "-c", "stat -c %u:%g /by-root /tree/by-1234; touch /made; chown 42:43 /made; echo ok >> /by-root && echo W"])
        #expect(e.out == "0:0\n1234:1235\nW\n", "\(e.out) \(e.err)")
        // Out: the container's ids, to a path and as a tar stream.
        #expect(try h.cnc(["cp", "c:/made", dir + "/made"]).status == 0)
        #expect(Self.owner(dir + "/made") ?? (0, 0) == (42, 43))
        #expect(try h.cnc(["cp", "c:/tree", dir + "/tree-out"]).status == 0)
        #expect(Self.owner(dir + "/tree-out/by-1234") ?? (0, 0) == (1234, 1235))
        let tar = try Spawn.capture("/bin/sh", ["-c", "'\(CNCHarness.binDir)/cnc' --root '\(h.root)' cp c:/by-root - | tar --numeric-owner -tvf -"], environment: CNCHarness.environment)
        #expect(String(decoding: tar.stdout, as: UTF8.self).contains(" 0/0 "), "\(String(decoding: tar.stdout, as: UTF8.self))")
        // A stopped container too (its root held by a helper): the image's files stay 0, its own writes map back.
        #expect(try h.cnc(["stop", "-t", "0", "c"]).status == 0)
        #expect(try h.cnc(["cp", "c:/made", dir + "/made-stopped"]).status == 0)
        #expect(Self.owner(dir + "/made-stopped") ?? (0, 0) == (42, 43))
        #expect(try h.cnc(["cp", "c:/bin/sh", dir + "/sh"]).status == 0)
        #expect(Self.owner(dir + "/sh") ?? (1, 1) == (0, 0))
    }

    /// `:U` resolves a named user in the image's /etc/passwd (podman's meaning), through the
    /// container's maps; `--mount ...,idmap` and `...,U=true` are the same options as `-v`'s.
    @Test func chownToANamedUserAndMountOptions() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/u", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/i", withIntermediateDirectories: true)
        try "x\n".write(toFile: dir + "/i/by-1234", atomically: true, encoding: .utf8)
        #expect(chown(dir + "/i/by-1234", 1234, 1234) == 0)
        let r = try h.run(["-d", "--name", "n", "--network", "none", "--userns", "auto", "-u", "nobody",
                           "--mount", "type=bind,src=\(dir)/u,dst=/u,U=true", "--mount", "type=bind,source=\(dir)/i,target=/i,idmap"], ["sleep", "60"])
        #expect(r.status == 0, "\(r.err)")
        let root = try #require(try UsernsIntegrationTests.mappedRoot(h, "n"))
        #expect(Self.owner(dir + "/u") ?? (0, 0) == (root + 65534, root + 65534))
        let e = try h.cnc(["exec", "n", "sh", "-c", "id -u; touch /u/mine && echo MADE; stat -c %u /i/by-1234"])
        #expect(e.out == "65534\nMADE\n1234\n", "\(e.out) \(e.err)")
        // Without a user namespace the name resolves the same (host ids = container ids).
        try FileManager.default.createDirectory(atPath: dir + "/p", withIntermediateDirectories: true)
        #expect(try h.run(["--rm", "--network", "none", "-u", "nobody:root", "-v", "\(dir)/p:/p:U"], ["true"]).status == 0)
        #expect(Self.owner(dir + "/p") ?? (1, 1) == (65534, 0))
        // A user the image does not have: podman's error, and nothing is created.
        let bad = try h.run(["--name", "ghost", "--network", "none", "--userns", "auto", "-u", "ghost", "-v", "\(dir)/p:/p:U"], ["true"])
        #expect(bad.status == 125 && bad.err.contains("Error: unable to find user ghost: no matching entries in passwd file"), "\(bad.err)")
        #expect(try h.cnc(["ps", "-a", "-q", "--filter", "name=ghost"]).out.isEmpty)
        #expect(Self.owner(dir + "/p") ?? (1, 1) == (65534, 0))
    }

    /// A start that fails under --userns leaves nothing of what it took: a `--rm` run or a
    /// refused create no container, range or mount; a plain run the container Docker keeps
    /// (exited 127), whose range goes with its removal.
    @Test func failedStartsLeaveNothing() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        func ranges() -> String { (try? String(contentsOfFile: h.root + "/userns-ranges", encoding: .utf8)) ?? "" }
        func mounts() -> Bool { ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "").contains(h.root) }
        let missing = try h.run(["--rm", "--network", "none", "--userns", "auto"], ["/nonexistent"])
        #expect(missing.status == 127 && missing.err.contains("exec: \"/nonexistent\": stat /nonexistent: no such file or directory"), "\(missing.err)")
        let device = try h.run(["--rm", "--network", "none", "--userns", "auto", "--device", "/dev/cnc-none"], ["true"])
        #expect(device.status == 125 && device.err.contains("error gathering device information while adding custom device \"/dev/cnc-none\""), "\(device.err)")
        let created = try h.cnc(["create", "--name", "d", "--network", "none", "--userns", "auto", "--device", "/dev/cnc-none", "--rootfs", CNCHarness.rootfs, "busybox", "true"])
        #expect(created.status == 125)
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
        #expect(ranges().trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(ranges())")
        #expect(!mounts())
        let kept = try h.run(["--name", "k", "--network", "none", "--userns", "auto"], ["/nonexistent"])
        #expect(kept.status == 127)
        let id = try h.inspect("k", "{{.Id}}")
        #expect(try h.inspect("k", "{{.State.Status}}") == "exited" && ranges().contains(id))
        #expect(!mounts())
        #expect(try h.cnc(["rm", "k"]).status == 0)
        #expect(!ranges().contains(id))
    }

    /// Sealed secrets under --userns: the variables (read by init as the mapped root) and the
    /// files at /run/secrets (owned by the container's ids as it sees them) reach the workload.
    @Test func secretsReachAUserNamespacedWorkload() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let rt = try h.runtime()
        let value = "sv-" + ContainerID.random().short
        var c = ContainerConfig(id: ContainerID.random(), name: "sealed-userns", image: "busybox", lowerDirs: [CNCHarness.rootfs])
        c.usernsMode = "auto"
        c.env = ["S=<secret: .env.enc hmac-sha256:0>"]
        let checks = "test \"$S\" = \"$(cat /run/secrets/f)\" && test \"$(stat -c %u:%g:%a /run/secrets/f /run/secrets/g)\" = \"$(printf '0:0:400\\n1000:1000:440')\" && test \"$(cat /run/secrets/g)\" = g && ! echo x 2>/dev/null > /run/secrets/f"
        c.cmd = ["sh", "-c", checks + " && echo ok > /passed && exec sleep 60"]
        let sealed = SealedMaterial(env: ["S=\(value)"], files: [.init(target: "/run/secrets/f", content: Array(value.utf8), uid: 0, gid: 0, mode: 0o400),
                                                                  .init(target: "/run/secrets/g", content: Array("g".utf8), uid: 1000, gid: 1000, mode: 0o440)])
        c = try rt.create(c, sealed: sealed)
        let root = try #require(c.uidMap?.first?.hostID)
        let dir = try #require(rt.store.sealedDirectory(c.id))
        #expect(Self.owner(dir + "/file-0") ?? (0, 0) == (root, root))
        #expect(try CLIProbe.grep([value], under: h.root).isEmpty)
        try rt.start(c.id).detach()
        // The workload passed its checks (else it exited), and an exec gets the same.
        #expect(h.eventually { FileSystem.exists("\(h.root)/containers/\(c.id.rawValue)/upper/passed") })
        #expect(try rt.exec("sealed-userns", ExecRequest(argv: ["sh", "-c", checks])) == 0)
        #expect(try rt.exec("sealed-userns", ExecRequest(argv: ["sh", "-c", "test \"$S\" = nope"])) == 1)
        try rt.remove("sealed-userns", force: true)
        #expect(!FileSystem.exists(dir))
    }

    /// `--sdnotify=container` under --userns (podman's meaning): the relay's directory reaches
    /// the mapped root (a bind the parent opened), and the container's own READY=1 and STATUS=
    /// come out on the caller's NOTIFY_SOCKET after the CLI's MAINPID=. (The systemd harness
    /// cannot run a user-namespaced container: its /proc has a read-only /proc/sys over it,
    /// so the kernel refuses a new proc mount in a user namespace there.)
    @Test(.enabled(if: SdNotifyHelper.hasToolchain, "needs gcc and libc6-dev"))
    func notifyRelayUnderAUserNamespace() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/x", withIntermediateDirectories: true)
        #expect(try SdNotifyHelper.compile(to: dir + "/x/sd-notify", scratch: dir).status == 0)
        // The caller's NOTIFY_SOCKET, as systemd would hold it for a Type=notify unit.
        let sock = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #expect(sock >= 0)
        defer { close(sock) }
        var sa = sockaddr_un()
        sa.sun_family = sa_family_t(AF_UNIX)
        let path = dir + "/sd.sock"
        withUnsafeMutableBytes(of: &sa.sun_path) { b in for (i, c) in path.utf8.enumerated() where i < b.count - 1 { b[i] = c } }
        let bound = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        var tv = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let r = try Spawn.capture(CNCHarness.binDir + "/cnc", ["--root", h.root, "run", "-d", "--name", "n", "--sdnotify=container", "--userns", "auto",
                                                               "--network", "none", "-v", dir + "/x:/x:ro", "--rootfs", CNCHarness.rootfs, "busybox",
                                                               "sh", "-c", "/x/sd-notify STATUS=up READY=1 && exec sleep 60"],
                                  environment: CNCHarness.environment + ["NOTIFY_SOCKET=" + path])
        #expect(r.termination == .exited(0), "\(String(decoding: r.stderr, as: UTF8.self))")
        var got = ""
        var buf = [UInt8](repeating: 0, count: 4096)
        while !got.contains("READY=1") {
            let n = recv(sock, &buf, buf.count, 0)
            if n <= 0 { break }
            got += String(decoding: buf[0..<n], as: UTF8.self)
        }
        let initPid = try h.inspect("n", "{{.State.Pid}}")
        #expect(got.hasPrefix("MAINPID=") && got.contains("STATUS=up\n") && got.contains("READY=1\n") && !got.contains("MAINPID=1\n"), "\(got)")
        #expect(UsernsIntegrationTests.hostID(initPid, "Uid") ?? 0 > 0, "\(initPid)")
    }
}
