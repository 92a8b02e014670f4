import CNCCore
import CNCSystem
import Foundation
import Testing

/// Rootless `--userns` modes and what goes with them (podman's meanings), on the real kernel as a
/// throwaway user (RootlessHarness): keep-id's passwd entry, auto sized from the image, nomap,
/// `:idmap` refused and `:U`, and the same modes in an app through cncapply.
@Suite("Rootless user namespace modes", .serialized, .enabled(if: RootlessHarness.canRun, "needs root (to create the user), built helpers and newuidmap"))
struct RootlessUsernsIntegrationTests {
    static func lines(_ text: String) -> [String] { text.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") } }

    /// A throwaway user with the busybox image imported (the caller tears it down).
    static func harness() throws -> RootlessHarness {
        let h = try RootlessHarness()
        let r = try h.cnc(["import", "busybox.tar", "busybox"])
        guard r.status == 0 else {
            h.tearDown()
            throw CNCError(.internal, "import as \(h.name): \(r.err)")
        }
        return h
    }

    static func pid(_ h: RootlessHarness, _ name: String) throws -> Int32 {
        Int32(try h.cnc(["inspect", "-f", "{{.State.Pid}}", name]).out.trimmingSpaces) ?? 0
    }

    @Test func keepIDAddsTheUserToTheContainersPasswdAndGroup() throws {
        let h = try Self.harness()
        defer { h.tearDown() }
        let n = h.name
        // podman's entries: the user's name, uid and gid, home the working directory (the
        // user's home is not bound in), /bin/sh; whoami and id -un know the user.
        let r = try h.cnc(["run", "--rm", "--network", "none", "--userns", "keep-id", "busybox", "sh", "-c",
                           "whoami; id -un; id -gn; grep '^\(n):' /etc/passwd; grep '^\(n):' /etc/group; grep -c '^root:' /etc/passwd"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "\(n)\n\(n)\n\(n)\n\(n):*:\(h.uid):\(h.gid)::/:/bin/sh\n\(n):x:\(h.gid):\(n)\n1\n", "\(r.out)")
        // The user's home bound in is the entry's home; keep-id:uid=,gid= gives those ids the name.
        let home = try h.cnc(["run", "--rm", "--network", "none", "--userns", "keep-id:uid=1234,gid=1234", "-v", "\(h.home):\(h.home)",
                              "busybox", "sh", "-c", "id -un; id -u; grep '^\(n):' /etc/passwd"])
        #expect(home.out == "\(n)\n1234\n\(n):*:1234:1234::\(h.home):/bin/sh\n", "\(home.out) \(home.err)")
        // An id the image already lists gets no entry (root's, here): no layer is added.
        let root = try h.cnc(["run", "--rm", "--network", "none", "--userns", "keep-id:uid=0,gid=0", "busybox", "sh", "-c",
                              "id -un; grep -c '^\(n):' /etc/passwd /etc/group"])
        #expect(root.out == "root\n/etc/passwd:0\n/etc/group:0\n", "\(root.out) \(root.err)")
        // A kept container: the entry is in a layer of its own, not in its writes (upper) nor in
        // the image's layers.
        let d = try h.cnc(["run", "-d", "--name", "k", "--network", "none", "--userns", "keep-id", "busybox", "sleep", "300"])
        #expect(d.status == 0, "\(d.err)")
        #expect(try h.cnc(["exec", "k", "whoami"]).out == "\(n)\n")
        let id = try h.cnc(["inspect", "-f", "{{.Id}}", "k"]).out.trimmingSpaces
        let container = h.stateRoot + "/containers/" + id
        #expect(!FileSystem.exists(container + "/upper/etc/passwd"))
        #expect(((try? FileSystem.readText(container + "/keep-id/etc/passwd")) ?? "").contains("\n\(n):*:"))
        let layers = try FileSystem.listDirectory(h.stateRoot + "/layers")
        for l in layers {
            let passwd = (try? FileSystem.readText(h.stateRoot + "/layers/\(l)/etc/passwd")) ?? ""
            #expect(!passwd.contains(n), "the image's layer \(l) was changed")
        }
        // The files are root's inside, readable to the user, as the image's are.
        #expect(try h.cnc(["exec", "k", "stat", "-c", "%u:%g %a", "/etc/passwd", "/etc/group"]).out == "0:0 644\n0:0 644\n")
    }

    @Test func autoWithoutASizeIsSizedFromTheImageAndSlicesStayDisjoint() throws {
        let h = try Self.harness()
        defer { h.tearDown() }
        let sub = try #require(h.subids)
        // The test image lists ids up to 2000 (group extra; nobody's 65534 does not count,
        // podman's rule): 2001 ids, so two containers fit in the user's 65,536 (each took the
        // whole range before).
        var roots: [UInt64] = []
        for name in ["a", "b"] {
            let d = try h.cnc(["run", "-d", "--name", name, "--network", "none", "--userns", "auto", "busybox", "sleep", "300"])
            #expect(d.status == 0, "\(d.err)")
            let map = Self.lines(try h.cnc(["exec", name, "cat", "/proc/self/uid_map"]).out)
            #expect(map.count == 1 && map[0].hasPrefix("0 ") && map[0].hasSuffix(" 2001"), "\(map)")
            if let r = RootlessHarness.hostUID(of: try Self.pid(h, name)) { roots.append(UInt64(r)) }
        }
        #expect(roots.count == 2 && Set(roots).count == 2, "\(roots)")
        #expect(roots.allSatisfy { $0 >= sub.start && $0 < sub.start + sub.count }, "\(roots)")
        #expect(roots.count == 2 && (roots[0] > roots[1] ? roots[0] - roots[1] : roots[1] - roots[0]) >= 2001)
        #expect(try h.cnc(["inspect", "-f", "{{.HostConfig.UsernsMode}}", "a"]).out == "auto\n")
        // A size still wins.
        let sized = try h.cnc(["run", "--rm", "--network", "none", "--userns", "auto:size=3000", "busybox", "cat", "/proc/self/uid_map"])
        #expect(Self.lines(sized.out).first?.hasSuffix(" 3000") == true, "\(sized.out) \(sized.err)")
    }

    @Test func nomapLeavesTheUsersOwnIDOut() throws {
        let h = try Self.harness()
        defer { h.tearDown() }
        let sub = try #require(h.subids)
        let r = try h.cnc(["run", "--rm", "--network", "none", "--userns", "nomap", "busybox", "sh", "-c",
                           "id -u; cat /proc/self/uid_map /proc/self/gid_map; stat -c %u:%g /bin/busybox"])
        #expect(r.status == 0, "\(r.err)")
        #expect(Self.lines(r.out) == ["0", "0 1 \(sub.count)", "0 1 \(sub.count)", "0:0"], "\(r.out)")
        let d = try h.cnc(["run", "-d", "--name", "n", "--network", "none", "--userns", "nomap", "busybox", "sleep", "300"])
        #expect(d.status == 0, "\(d.err)")
        // Its root is the first subordinate id on the host, never the user.
        #expect(RootlessHarness.hostUID(of: try Self.pid(h, "n")).map(UInt64.init) == sub.start)
        #expect(try h.cnc(["inspect", "-f", "{{.HostConfig.UsernsMode}}", "n"]).out == "nomap\n")
    }

    @Test func idmapIsRefusedAndUChownsToTheMappedUser() throws {
        let h = try Self.harness()
        defer { h.tearDown() }
        let sub = try #require(h.subids)
        let src = h.home + "/src"
        try FileSystem.createDirectory(src, mode: 0o755)
        try FileSystem.setOwner(src, uid: h.uid, gid: h.gid)
        // The kernel cannot idmap the host's file systems for the user (EPERM): refused by name,
        // before anything is made, with or without a namespace of the container's own.
        for flags in [["-v", "\(src):/d:idmap"], ["--userns", "auto", "--mount", "type=bind,src=\(src),dst=/d,idmap"],
                      ["--userns", "keep-id", "-v", "vol:/d:idmap"]] {
            let r = try h.cnc(["run", "--rm", "--network", "none"] + flags + ["busybox", "true"])
            let source = flags.last?.contains("vol:") == true ? "volume vol" : "bind \(src)"
            #expect(r.status == 125 && r.err == "Error: idmap is not supported by rootless cnc (\(source) on /d): the kernel idmaps a mount "
                + "only for a process privileged in the user namespace that owns its file system, and the host's file systems are not the "
                + "user's; use :U to chown the source to the container's user instead\n", "\(flags): \(r.err)")
        }
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
        #expect(try h.cnc(["volume", "ls", "-q"]).out.isEmpty)
        // :U with a namespace of the container's own: the source becomes the container's user
        // 100 as the host sees it, which may then write there.
        let d = try h.cnc(["run", "-d", "--name", "u", "--network", "none", "--userns", "auto:size=2000", "-u", "100:100",
                           "-v", "\(src):/d:U", "busybox", "sleep", "300"])
        #expect(d.status == 0, "\(d.err)")
        let user100 = try #require(RootlessHarness.hostUID(of: try Self.pid(h, "u")))
        #expect(UInt64(user100) >= sub.start + 100 && UInt64(user100) < sub.start + sub.count)
        var st = stat()
        #expect(stat(src, &st) == 0 && st.st_uid == user100 && st.st_gid == user100, "\(st.st_uid) != \(user100)")
        let w = try h.cnc(["exec", "u", "sh", "-c", "touch /d/f && stat -c %u:%g /d /d/f"])
        #expect(w.out == "100:100\n100:100\n", "\(w.out) \(w.err)")
        // Without one: the user's namespace's id 100 is subordinate id 99 + start.
        #expect(try h.cnc(["rm", "-f", "u"]).status == 0)
        let plain = try h.cnc(["run", "--rm", "--network", "none", "-u", "100", "-v", "\(src):/d:U", "busybox", "stat", "-c", "%u", "/d"])
        #expect(plain.out == "100\n", "\(plain.err)")
        #expect(stat(src, &st) == 0 && UInt64(st.st_uid) == sub.start + 99)
    }

    @Test func cncapplyRunsKeepIDAutoAndNomapServices() throws {
        let h = try Self.harness()
        defer { h.tearDown() }
        let sub = try #require(h.subids)
        let spec = h.home + "/app.yaml"
        try FileSystem.writeAtomically("""
            name: demo
            x-cnc: {userns: auto}
            services:
              a: {image: busybox, command: [sleep, "1000"], network_mode: none}
              k: {image: busybox, command: [sleep, "1000"], network_mode: none, userns_mode: keep-id}
              n: {image: busybox, command: [sleep, "1000"], network_mode: none, userns_mode: nomap}
              s: {image: busybox, command: [sleep, "1000"], network_mode: none, userns_mode: "auto:size=2000"}
              h: {image: busybox, command: [sleep, "1000"], network_mode: none, userns_mode: host}

            """, to: spec)
        try FileSystem.setOwner(spec, uid: h.uid, gid: h.gid)
        let up = try h.cnc(["-f", spec], tool: "cncapply")
        #expect(up.status == 0, "\(up.err)")
        #expect(try h.cnc(["exec", "demo-k-1", "whoami"]).out == "\(h.name)\n")
        #expect(try h.cnc(["exec", "demo-k-1", "id", "-u"]).out == "\(h.uid)\n")
        #expect(Self.lines(try h.cnc(["exec", "demo-a-1", "cat", "/proc/self/uid_map"]).out).first?.hasSuffix(" 2001") == true)
        #expect(Self.lines(try h.cnc(["exec", "demo-s-1", "cat", "/proc/self/uid_map"]).out).first?.hasSuffix(" 2000") == true)
        #expect(Self.lines(try h.cnc(["exec", "demo-n-1", "cat", "/proc/self/uid_map"]).out) == ["0 1 \(sub.count)"])
        #expect(RootlessHarness.hostUID(of: try Self.pid(h, "demo-h-1")) == h.uid, "host: the user's own namespace")
        #expect(RootlessHarness.hostUID(of: try Self.pid(h, "demo-n-1")).map(UInt64.init) == sub.start)
        // Converged: a second apply changes nothing.
        let again = try h.cnc(["-f", spec], tool: "cncapply")
        #expect(again.status == 0, "\(again.err)")
        #expect(try h.cnc(["ps", "-q"]).out.split(separator: "\n").count == 5)
        #expect(try h.cnc(["down", "-f", spec], tool: "cncapply").status == 0)
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
        // A bad mode is the spec compiler's error, at its place.
        let bad = h.home + "/bad.yaml"
        try FileSystem.writeAtomically("services:\n  web: {image: busybox, userns_mode: \"keep-id:uid=x\"}\n", to: bad)
        try FileSystem.setOwner(bad, uid: h.uid, gid: h.gid)
        let r = try h.cnc(["-f", bad], tool: "cncapply")
        #expect(r.status != 0)
        #expect(r.err.contains("bad.yaml:2:") && r.err.contains("services.web.userns_mode: \"keep-id:uid=x\": invalid --userns \"keep-id:uid=x\": keep-id takes uid=N and gid=N"),
                "\(r.err)")
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
    }
}
