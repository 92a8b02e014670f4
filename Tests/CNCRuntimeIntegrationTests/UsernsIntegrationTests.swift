import CNCCore
import CNCSystem
import Foundation
import Testing

/// `--userns`: the container's root is an unprivileged host id, on the real kernel.
@Suite(.serialized) struct UsernsIntegrationTests {
    /// The first field of a `Uid:`/`Gid:` line of /proc/PID/status.
    static func hostID(_ pid: String, _ key: String) -> UInt32? {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
        return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { UInt32($0) }
    }

    /// The host id a container's root maps to, from `cnc inspect` (HostConfig.IDMappings).
    static func mappedRoot(_ h: CNCHarness, _ name: String) throws -> UInt32? {
        let text = try h.inspect(name, "{{index .HostConfig.IDMappings.UidMap 0}}")
        let f = text.split(separator: ":")
        return f.count == 3 && f[0] == "0" ? UInt32(f[1]) : nil
    }

    @Test func rootIsAnUnprivilegedHostIDAndRangesAreDisjoint() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        for n in ["a", "b"] {
            let r = try h.run(["-d", "--name", n, "--network", "none", "--userns", "auto"], ["sleep", "60"])
            #expect(r.status == 0, "\(r.err)")
        }
        var ranges: [ClosedRange<UInt32>] = []
        for n in ["a", "b"] {
            let pid = try h.inspect(n, "{{.State.Pid}}")
            let root = try #require(try Self.mappedRoot(h, n))
            #expect(root >= 100_000, "container root maps to \(root)")
            #expect(Self.hostID(pid, "Uid") == root && Self.hostID(pid, "Gid") == root)
            #expect(try h.inspect(n, "{{.HostConfig.UsernsMode}}") == "auto")
            ranges.append(root...(root + 65535))
            // Inside, it is root, and its files on the host belong to the mapped id.
            let e = try h.cnc(["exec", n, "sh", "-c", "id -u; touch /made-here; cat /proc/self/uid_map"])
            #expect(e.status == 0 && e.out.hasPrefix("0\n") && e.out.contains("\(root)"), "\(e.out) \(e.err)")
            let id = try h.inspect(n, "{{.Id}}")
            let attrs = try FileManager.default.attributesOfItem(atPath: "\(h.root)/containers/\(id)/upper/made-here")
            #expect((attrs[.ownerAccountID] as? NSNumber)?.uint32Value == root)
        }
        #expect(!ranges[0].overlaps(ranges[1]), "\(ranges)")
        // export and commit write the container's ids, not the host's.
        let tar = h.root + "/b.tar"
        #expect(try h.cnc(["export", "-o", tar, "b"]).status == 0)
        let listing = try Spawn.capture("/bin/tar", ["--numeric-owner", "-tvf", tar], environment: [])
        let line = String(decoding: listing.stdout, as: UTF8.self).split(separator: "\n").first { $0.hasSuffix(" made-here") }.map(String.init) ?? ""
        #expect(line.contains(" 0/0 "), "\(line)")
        try? FileManager.default.removeItem(atPath: tar)
        #expect(try h.cnc(["commit", "b", "userns-commit:1"]).status == 0)
        // The committed layer (unpacked in the store) holds the file as the container's root's.
        let layers = (try? FileManager.default.contentsOfDirectory(atPath: h.root + "/layers")) ?? []
        let owners = layers.compactMap { l in
            ((try? FileManager.default.attributesOfItem(atPath: "\(h.root)/layers/\(l)/made-here"))?[.ownerAccountID] as? NSNumber)?.uint32Value
        }
        #expect(owners == [0], "\(owners)")
        // rm gives a range back: the next container gets a's.
        let first = ranges[0].lowerBound
        #expect(try h.cnc(["rm", "-f", "a"]).status == 0)
        #expect(try h.run(["-d", "--name", "c", "--network", "none", "--userns", "auto"], ["sleep", "60"]).status == 0)
        #expect(try Self.mappedRoot(h, "c") == first)
        let ranges2 = try String(contentsOfFile: h.root + "/userns-ranges", encoding: .utf8)
        #expect(ranges2.split(separator: "\n").count == 2, "\(ranges2)")
        // Image files keep their owners as the container sees them (idmapped layers, no copy).
        let ls = try h.run(["--rm", "--network", "none", "--userns", "auto"], ["sh", "-c", "stat -c %u:%g /bin/busybox /etc/passwd"])
        #expect(ls.out == "0:0\n0:0\n", "\(ls.out) \(ls.err)")
    }

    @Test func explicitMappingAndBadModes() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let r = try h.run(["--rm", "--network", "none", "--userns", "0:300000:70000"], ["cat", "/proc/self/uid_map", "/proc/self/gid_map"])
        #expect(r.status == 0 && r.out.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") } == ["0 300000 70000", "0 300000 70000"],
                "\(r.out) \(r.err)")
        let keep = try h.run(["--rm", "--userns", "keep-id"], ["true"])
        #expect(keep.status == 125 && keep.err == "Error: keep-id is only supported in rootless mode\n", "\(keep.err)")
        let nomap = try h.run(["--rm", "--userns", "nomap"], ["true"])
        #expect(nomap.status == 125 && nomap.err == "Error: nomap is only supported in rootless mode\n", "\(nomap.err)")
        let bad = try h.run(["--rm", "--userns", "nonsense"], ["true"])
        #expect(bad.status == 125 && bad.err == "Error: --userns: invalid USER mode\n", "\(bad.err)")
        // What a user namespace cannot give is refused in Docker's words, nothing left behind.
        for (flags, message) in [
            (["--privileged"], "privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode"),
            (["--pid", "host"], "Cannot share the host PID namespace when user namespaces are enabled"),
            (["--ipc", "host"], "Cannot share the host IPC namespace when user namespaces are enabled"),
        ] {
            let r = try h.run(["--rm", "--network", "none", "--userns", "auto"] + flags, ["true"])
            #expect(r.status == 125 && r.err == "Error: \(message)\n", "\(flags): \(r.err)")
        }
        #expect(try h.cnc(["ps", "-aq"]).out.isEmpty)
        // --network host and --uts host work (sysfs falls back to a read-only bind), and so
        // does --device: the host's node, bound.
        let host = try h.run(["--rm", "--userns", "auto", "--network", "host", "--uts", "host", "--device", "/dev/full:/dev/myfull"],
                             ["sh", "-c", "id -u; stat -c %t,%T:%u /dev/myfull; head -c1 /dev/myfull | wc -c"])
        #expect(host.status == 0 && host.out == "0\n1,7:65534\n1\n", "\(host.out) \(host.err)")
        let left = (try? String(contentsOfFile: h.root + "/userns-ranges", encoding: .utf8)) ?? ""
        #expect(left.isEmpty)
    }

    @Test func bridgeNetworkingExecStopAndLogs() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let d = try h.run(["-d", "--name", "web", "--userns", "auto"], ["sh", "-c", "echo started; exec sleep 60"])
        #expect(d.status == 0, "\(d.err)")
        let gw = try h.cnc(["exec", "web", "sh", "-c", "ip route | awk '/default/ {print $3}'"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!gw.isEmpty)
        let ping = try h.cnc(["exec", "web", "ping", "-c", "1", "-W", "5", gw])
        #expect(ping.status == 0, "\(ping.out) \(ping.err)")
        #expect(try h.cnc(["logs", "web"]).out == "started\n")
        #expect(try h.cnc(["stop", "-t", "1", "web"]).status == 0)
        #expect(try h.inspect("web", "{{.State.Running}}") == "false")
        // And a foreground --rm run on the default bridge (the CLI is init's parent).
        let fg = try h.run(["--rm", "--userns", "auto"], ["sh", "-c", "ip -4 addr show eth0 | grep -c inet"])
        #expect(fg.status == 0 && fg.out == "1\n", "\(fg.out) \(fg.err)")
    }

    @Test func volumesAndBindsWithUAndIdmap() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let dir = "/tmp/cnc-userns-bind-\(ContainerID.random().short)"
        try FileManager.default.createDirectory(atPath: dir + "/u", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "x\n".write(toFile: dir + "/owned-1234", atomically: true, encoding: .utf8)
        #expect(chown(dir + "/owned-1234", 1234, 1234) == 0)
        #expect(try h.run(["-d", "--name", "v", "--network", "none", "--userns", "auto", "-v", "data:/data", "-v", "\(dir):/h:idmap",
                           "-v", "\(dir)/u:/u:U"], ["sleep", "60"]).status == 0)
        let root = try #require(try Self.mappedRoot(h, "v"))
        // :idmap shows the host's owners translated (1234 stays 1234), and root inside may
        // write what the host's root may.
        let e = try h.cnc(["exec", "v", "sh", "-c", "stat -c %u:%g /h/owned-1234; echo y >> /h/owned-1234 && echo WROTE; touch /data/new /u/new && echo MADE"])
        #expect(e.out == "1234:1234\nWROTE\nMADE\n", "\(e.out) \(e.err)")
        // :U made the source the container root's; a new volume became its root's too; what
        // the container makes there is owned by the mapped id on the host.
        func owner(_ path: String) -> UInt32? { ((try? FileManager.default.attributesOfItem(atPath: path))?[.ownerAccountID] as? NSNumber)?.uint32Value }
        #expect(owner(dir + "/u") == root && owner(dir + "/u/new") == root)
        #expect(owner(h.root + "/volumes/data/_data/new") == root)
        #expect(owner(dir + "/owned-1234") == 1234)
    }

    /// The security notes' probes under a user namespace: nothing the container reaches of the
    /// host is its to change, and nothing of the host leaks in.
    @Test func cveProbesFindNoHostPrivilege() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        // CVE-2019-5736: /proc/1/exe (cnc-init) cannot be written, with or without --init.
        let initPath = CNCHarness.binDir + "/cnc-init"
        let before = try Data(contentsOf: URL(fileURLWithPath: initPath))
        for extra in [["--init"], ["--init", "--cap-add", "SYS_PTRACE"]] {
            let w = try h.run(["--rm", "--network", "none", "--userns", "auto"] + extra,
                              ["sh", "-c", "echo x >> /proc/1/exe && echo WROTE; (exec 3</proc/1/exe; echo y > /proc/self/fd/3 && echo WROTE2); echo end"])
            #expect(!w.out.contains("WROTE") && w.out.contains("end"), "\(w.out) \(w.err)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: initPath)) == before)
        // CVE-2024-21626: no descriptor of the host leaks into the workload or an exec, and a
        // working directory through one finds none.
        let fds = try h.run(["--rm", "--network", "none", "--userns", "auto"], ["ls", "/proc/self/fd"])
        #expect(fds.out == "0\n1\n2\n3\n", "\(fds.out) \(fds.err)")
        for n in 3...8 {
            let w = try h.run(["--rm", "--network", "none", "--userns", "auto", "-w", "/proc/self/fd/\(n)"], ["sh", "-c", "ls ../../../../ | grep -c wt; pwd"])
            #expect(!w.out.contains("/work") && !w.out.hasPrefix("1\n"), "fd \(n): \(w.out) \(w.err)")
        }
        #expect(try h.run(["-d", "--name", "x", "--network", "none", "--userns", "auto"], ["sleep", "60"]).status == 0)
        let e = try h.cnc(["exec", "x", "sh", "-c", "ls /proc/self/fd; readlink /proc/self/cwd"])
        #expect(e.out == "0\n1\n2\n3\n/\n", "\(e.out) \(e.err)")
        // What a container root reaches of the host (here a bind) is not root's to change.
        let dir = "/tmp/cnc-userns-\(ContainerID.random().short)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "host\n".write(toFile: dir + "/owned-by-root", atomically: true, encoding: .utf8)
        let write = try h.run(["--rm", "--network", "none", "--userns", "auto", "-v", "\(dir):/h"],
                              ["sh", "-c", "echo pwned > /h/owned-by-root && echo WROTE; touch /h/new && echo MADE; echo end"])
        #expect(write.out == "end\n", "\(write.out) \(write.err)")
        #expect(try String(contentsOfFile: dir + "/owned-by-root", encoding: .utf8) == "host\n")
        // The same without a user namespace: root is the host's root (the probe can fail).
        let plain = try h.run(["--rm", "--network", "none", "-v", "\(dir):/h"], ["sh", "-c", "touch /h/new && echo MADE"])
        #expect(plain.out == "MADE\n")
    }
}
