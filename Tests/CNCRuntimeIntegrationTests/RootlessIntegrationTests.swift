import CNCCore
import CNCSystem
import Foundation
import Testing

/// Rootless cnc on the real kernel, as a throwaway unprivileged user (RootlessHarness).
@Suite("Rootless cnc", .serialized, .enabled(if: RootlessHarness.canRun, "needs root (to create the user), built helpers and newuidmap"))
struct RootlessIntegrationTests {
    @Test func runsContainersAsTheUserWithoutHostPrivilege() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        let imported = try h.cnc(["import", "busybox.tar", "busybox"])
        #expect(imported.status == 0, "\(imported.err)")
        // The container's root is the user; the user's subordinate ids follow it.
        let r = try h.cnc(["run", "--rm", "--network", "none", "busybox", "sh", "-c", "id -u; cat /proc/self/uid_map"])
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines == ["0", "0 \(h.uid) 1", "1 \(h.subids?.start ?? 0) 65536"])
        // The image's files were unpacked inside the user namespace: root's are the user's on the host.
        let layers = try FileSystem.listDirectory(h.stateRoot + "/layers")
        #expect(!layers.isEmpty)
        var st = stat()
        #expect(layers.contains { stat(h.stateRoot + "/layers/\($0)/bin/busybox", &st) == 0 && st.st_uid == h.uid })

        // run -d, then exec, logs, ps, stop, rm: later commands join the same namespaces.
        let d = try h.cnc(["run", "-d", "--name", "web", "--network", "none", "busybox", "sh", "-c",
                           "echo started; env | grep _CNC_; touch /tmp/mine; chown 100:100 /tmp/mine; exec sleep 300"])
        #expect(d.status == 0, "\(d.err)")
        let pid = Int32(try h.cnc(["inspect", "-f", "{{.State.Pid}}", "web"]).out.trimmingSpaces) ?? 0
        #expect(pid > 0)
        #expect(RootlessHarness.hostUID(of: pid) == h.uid, "the container's root is the unprivileged user on the host")
        let e = try h.cnc(["exec", "web", "sh", "-c", "id -u; ps -o comm | grep -c sleep"])
        #expect(e.status == 0, "\(e.err)")
        #expect(e.out == "0\n1\n")
        // (cnc's own rootless variables stay out of the container's environment)
        #expect(try h.cnc(["logs", "web"]).out == "started\n")
        #expect(try h.cnc(["ps", "--format", "{{.Names}}"]).out == "web\n")
        let id = try h.cnc(["inspect", "-f", "{{.Id}}", "web"]).out.trimmingSpaces
        // The file chowned to 100 in the container belongs to the user's subordinate id 99 + start.
        #expect(stat(h.stateRoot + "/containers/\(id)/upper/tmp/mine", &st) == 0)
        #expect(UInt64(st.st_uid) == (h.subids?.start ?? 0) + 99)
        #expect(try h.cnc(["stop", "-t", "1", "web"]).status == 0)
        #expect(try h.cnc(["ps", "-a", "--format", "{{.Status}}"]).out.hasPrefix("Exited"))
        #expect(try h.cnc(["rm", "web"]).status == 0)
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
        #expect(try h.cnc(["images", "--format", "{{.Repository}}"]).out == "busybox\n")
        // One pause process holds the namespaces, as the user, nothing more.
        let pause = try #require(h.pausePID)
        #expect(RootlessHarness.hostUID(of: pause) == h.uid)
        #expect((try? FileSystem.readText("/proc/\(pause)/comm"))?.trimmingSpaces == "cnc-pause")
    }

    @Test func saveAndLoadRoundTripAsTheUser() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        let saved = try h.cnc(["save", "-o", h.home + "/bb.tar", "busybox"])
        #expect(saved.status == 0, "\(saved.err)")
        #expect(try h.cnc(["rmi", "busybox"]).status == 0)
        let loaded = try h.cnc(["load", "-i", h.home + "/bb.tar"])
        #expect(loaded.status == 0, "\(loaded.err)")
        #expect(loaded.out.contains("Loaded image: busybox:latest"))
        let r = try h.cnc(["run", "--rm", "--network", "none", "busybox", "echo", "ok"])
        #expect(r.out == "ok\n", "\(r.err)")
    }

    @Test func limitsAreRefusedWithoutDelegatedCgroups() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        let r = try h.cnc(["run", "--rm", "--network", "none", "--memory", "10m", "--pids-limit", "20", "busybox", "true"])
        #expect(r.status == 125)
        #expect(r.err.hasPrefix("Error: cannot set limits without cgroups: rootless cnc cannot enforce --memory, --pids-limit: "), "\(r.err)")
        // Nothing half-made.
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
        let info = try h.cnc(["info"])
        #expect(info.out.contains("Rootless:         yes"), "\(info.out)")
        #expect(info.out.contains("Limits:           not enforced (cgroup v1 is not delegated to unprivileged users): --memory"), "\(info.out)")
    }

    @Test func noSubordinateIDsIsAClearError() throws {
        let h = try RootlessHarness(subordinateIDs: false)
        defer { h.tearDown() }
        let r = try h.cnc(["images"])
        #expect(r.status == 125)
        #expect(r.err == "Error: cannot set up namespace: no subuid ranges found for user \(h.name) in /etc/subuid\n")
        #expect(h.pausePID == nil)
        #expect(h.runningProcesses().isEmpty)
        // Commands that need no namespace work without subordinate ids (podman's do too).
        for (tool, args) in [("cnc", ["version"]), ("cnc", ["--help"]), ("cnc", ["run", "--help"]), ("cnc", ["help", "ps"]),
                             ("cnc", ["--root", h.home + "/r", "version", "--format", "json"]), ("cnc", ["completion", "bash"]),
                             ("cncapply", ["--help"]), ("cncapply", ["version"])] {
            let ok = try h.cnc(args, tool: tool)
            #expect(ok.status == 0, "\(tool) \(args): \(ok.err)")
            #expect(!ok.out.isEmpty && ok.err.isEmpty, "\(tool) \(args): \(ok.err)")
        }
        #expect(try h.cnc(["version"]).out.hasPrefix("cnc version "))
        // A usage error is reported as such, not as the namespace's problem.
        let bad = try h.cnc(["ps", "--no-such-flag"])
        #expect(bad.status == 125 && bad.err.hasPrefix("unknown flag: --no-such-flag"), "\(bad.err)")
        // What needs the namespace still says why it cannot have it: info, run, cncapply.
        for (tool, args) in [("cnc", ["info"]), ("cnc", ["run", "--rm", "busybox", "true"]), ("cncapply", ["-f", h.home + "/none.yaml"])] {
            let r = try h.cnc(args, tool: tool)
            #expect(r.status != 0, "\(tool) \(args)")
            #expect(r.err == "Error: cannot set up namespace: no subuid ranges found for user \(h.name) in /etc/subuid\n", "\(tool) \(args): \(r.err)")
        }
        #expect(h.pausePID == nil)
        #expect(h.runningProcesses().isEmpty)
        // No state of cnc's is left for a user who cannot have the namespaces.
        #expect(!FileManager.default.fileExists(atPath: h.runtimeDir + "/cnc"), "\(h.runtimeDir)/cnc left behind")
    }

    @Test func missingNewuidmapIsAClearError() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        h.path = h.bin
        let r = try h.cnc(["images"])
        #expect(r.status == 125)
        #expect(r.err == "Error: command required for rootless mode with multiple IDs: exec: \"newuidmap\": executable file not found in $PATH\n")
        #expect(h.pausePID == nil)
    }

    @Test func defaultNetworkIsPastaWithPortsOnTheHostsLoopback() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        try h.openTunForUsers()
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        let port = Self.freePort()
        // No --network: rootless cnc's default network is pasta's.
        let d = try h.cnc(["run", "-d", "--name", "web", "-p", "127.0.0.1:\(port):80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"])
        #expect(d.status == 0, "\(d.err)")
        #expect(try h.cnc(["ps", "--format", "{{.Ports}}"]).out == "127.0.0.1:\(port)->80/tcp\n")
        let body = try Self.passwdFromHost(port: port, tries: 50)
        #expect(body.hasPrefix("root:x:0:0:"), "the container's httpd answers on the host's 127.0.0.1:\(port)")
        // The container has the host's address on its interface, and a default route.
        let route = try h.cnc(["exec", "web", "cat", "/proc/net/route"]).out
        #expect(route.split(separator: "\n").contains { $0.split(separator: "\t").dropFirst().first == "00000000" }, "\(route)")
        // `-p 80`: cnc chooses the host port, hands it to pasta and records it, so ps, port and
        // inspect show the real one (as root mode's do), and it answers there.
        let any = try h.cnc(["run", "-d", "--name", "any", "-p", "80", "-p", "127.0.0.1::81/udp", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"])
        #expect(any.status == 0, "\(any.err)")
        let shown = try h.cnc(["port", "any"]).out
        let lines = shown.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(shown)")
        let tcpLine = lines.first(where: { $0.hasPrefix("80/tcp -> 0.0.0.0:") }) ?? ""
        let chosen = UInt16(tcpLine.dropFirst("80/tcp -> 0.0.0.0:".count)) ?? 0
        #expect(chosen > 0, "\(shown)")
        let udpLine = lines.first(where: { $0.hasPrefix("81/udp -> 127.0.0.1:") }) ?? ""
        let chosenUDP = UInt16(udpLine.dropFirst("81/udp -> 127.0.0.1:".count)) ?? 0
        #expect(chosenUDP > 0, "\(shown)")
        #expect(try h.cnc(["port", "any", "80"]).out == "80/tcp -> 0.0.0.0:\(chosen)\n")
        #expect(try h.cnc(["ps", "-f", "name=any", "--format", "{{.Ports}}"]).out == "0.0.0.0:\(chosen)->80/tcp, 127.0.0.1:\(chosenUDP)->81/udp\n")
        #expect(try h.cnc(["inspect", "-f", "{{json .NetworkSettings.Ports}}", "any"]).out
                == "{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"\(chosen)\"}],\"81/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\(chosenUDP)\"}]}\n")
        let reached = try Self.passwdFromHost(port: chosen, tries: 50)
        #expect(reached.hasPrefix("root:x:0:0:"), "the container's httpd answers on the chosen port \(chosen)")
        #expect(try h.cnc(["rm", "-f", "any"]).status == 0)
        // Stopping it ends its pasta: the port is free again.
        #expect(try h.cnc(["stop", "-t", "0", "web"]).status == 0)
        #expect(try h.cnc(["port", "web"]).out.isEmpty)
        var free = false
        for _ in 0..<50 where !free {
            free = PortProbe.isFree(address: [127, 0, 0, 1], port: port, udp: false)
            if !free { usleep(20_000) }
        }
        #expect(free, "port \(port) still held after stop")
        // A container that ends by itself gives its port back too (the monitor's exit hook).
        #expect(try h.cnc(["run", "-d", "-p", "127.0.0.1:\(port):80", "busybox", "sleep", "0.3"]).status == 0)
        free = false
        for _ in 0..<100 where !free {
            usleep(50_000)
            free = PortProbe.isFree(address: [127, 0, 0, 1], port: port, udp: false)
        }
        #expect(free, "port \(port) still held after the container exited")
    }

    @Test func whatRootlessNetworkingCannotDoIsRefused() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        try h.openTunForUsers()
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        let start = (try? FileSystem.readText("/proc/sys/net/ipv4/ip_unprivileged_port_start"))?.trimmingSpaces ?? "1024"
        let low = try h.cnc(["run", "--rm", "-p", "80:80", "busybox", "true"])
        #expect(low.status == (Int(start) ?? 1024 > 80 ? 125 : 0))
        #expect(Int(start) ?? 1024 <= 80 || low.err == "Error: rootless cnc cannot expose privileged port 80, you can add 'net.ipv4.ip_unprivileged_port_start=80' "
            + "to /etc/sysctl.conf (currently \(start)), or choose a larger port number (>= \(start))\n")
        // A user network must exist (docker's words), as for root.
        let named = try h.cnc(["run", "--rm", "--network", "backend", "busybox", "true"])
        #expect(named.status == 125)
        #expect(named.err.contains("network backend not found"), "\(named.err)")
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
    }

    @Test func privilegedAndDevicesBindTheHostsNodesWithoutHostPrivilege() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        // --privileged: every capability of the user's namespace and the host's /dev nodes bound
        // (no node can be made there); a node only host root may open stays closed.
        let p = try h.cnc(["run", "--rm", "--network", "none", "--privileged", "busybox", "sh", "-c",
                           "cat /dev/null && echo null; stat -c %U /dev/fuse; cat /dev/fuse 2>&1 >/dev/null | grep -c 'Permission denied'"])
        #expect(p.status == 0, "\(p.err)")
        #expect(p.out == "null\nnobody\n1\n")
        let d = try h.cnc(["run", "--rm", "--network", "none", "--device", "/dev/fuse", "busybox", "stat", "-c", "%t:%T %U", "/dev/fuse"])
        #expect(d.out == "a:e5 nobody\n", "\(d.err)")
        // A user namespace of the container's own cannot be privileged (docker's words), rootless too.
        let u = try h.cnc(["run", "--rm", "--network", "none", "--privileged", "--userns", "auto:size=1000", "busybox", "true"])
        #expect(u.status == 125)
        #expect(u.err.hasPrefix("Error: privileged mode is incompatible with user namespaces"), "\(u.err)")
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
    }

    @Test func keepIDRunsAsTheUsersOwnIDs() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        let sub = try #require(h.subids)
        // podman's layout, seen from inside: the user's uid is itself, the ids below and above
        // it are the user's subordinate ids; the process runs as the user.
        let r = try h.cnc(["run", "--rm", "--network", "none", "--userns", "keep-id", "busybox", "sh", "-c",
                           "id -u; id -g; cat /proc/self/uid_map; stat -c %u:%g /bin/busybox; touch /tmp/x && stat -c %u /tmp/x"])
        #expect(r.status == 0, "\(r.err)")
        let u = h.uid, n = UInt32(sub.count)
        let lines = r.out.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines == ["\(u)", "\(h.gid)", "0 1 \(u)", "\(u) 0 1", "\(u + 1) \(u + 1) \(n - u)", "0:0", "\(u)"], "\(r.out)")
        // The same container seen from the host: its process is the user itself.
        let d = try h.cnc(["run", "-d", "--name", "k", "--network", "none", "--userns", "keep-id", "busybox", "sleep", "300"])
        #expect(d.status == 0, "\(d.err)")
        let pid = Int32(try h.cnc(["inspect", "-f", "{{.State.Pid}}", "k"]).out.trimmingSpaces) ?? 0
        #expect(RootlessHarness.hostUID(of: pid) == h.uid)
        #expect(try h.cnc(["inspect", "-f", "{{.HostConfig.UsernsMode}}", "k"]).out == "keep-id\n")
        // --user still wins; root in it is the first subordinate id.
        let root = try h.cnc(["run", "--rm", "--network", "none", "--userns", "keep-id", "--user", "0", "busybox", "sh", "-c", "id -u"])
        #expect(root.out == "0\n", "\(root.err)")
    }

    @Test func autoGivesEachContainerItsOwnSliceOfTheSubordinateIDs() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        let sub = try #require(h.subids)
        var pids: [Int32] = []
        for name in ["a", "b"] {
            let d = try h.cnc(["run", "-d", "--name", name, "--network", "none", "--userns", "auto:size=2000", "busybox", "sleep", "300"])
            #expect(d.status == 0, "\(d.err)")
            pids.append(Int32(try h.cnc(["inspect", "-f", "{{.State.Pid}}", name]).out.trimmingSpaces) ?? 0)
        }
        // Root of each is a subordinate id of the user, the two 2000 apart (disjoint slices).
        let roots = pids.compactMap { RootlessHarness.hostUID(of: $0) }.map(UInt64.init)
        #expect(roots.count == 2 && Set(roots).count == 2, "\(roots)")
        #expect(roots.allSatisfy { $0 >= sub.start && $0 < sub.start + sub.count }, "\(roots) outside \(sub)")
        #expect(roots.count == 2 && (roots[0] > roots[1] ? roots[0] - roots[1] : roots[1] - roots[0]) >= 2000)
        // Inside: root, the image's files are root's, the map is the slice.
        let e = try h.cnc(["exec", "a", "sh", "-c", "id -u; stat -c %u /bin/busybox; cat /proc/self/uid_map"])
        #expect(e.status == 0, "\(e.err)")
        let lines = e.out.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines.count == 3 && lines[0] == "0" && lines[1] == "0" && lines[2].hasPrefix("0 ") && lines[2].hasSuffix(" 2000"), "\(e.out)")
        // A slice comes back only at removal: a third container after removing a reuses it.
        #expect(try h.cnc(["rm", "-f", "a"]).status == 0)
        let c = try h.cnc(["run", "-d", "--name", "c", "--network", "none", "--userns", "auto:size=2000", "busybox", "sleep", "300"])
        #expect(c.status == 0, "\(c.err)")
        let cpid = Int32(try h.cnc(["inspect", "-f", "{{.State.Pid}}", "c"]).out.trimmingSpaces) ?? 0
        #expect(RootlessHarness.hostUID(of: cpid).map(UInt64.init) == roots[0])
        // More than the user has is refused before anything exists.
        let big = try h.cnc(["run", "--rm", "--network", "none", "--userns", "auto:size=70000", "busybox", "true"])
        #expect(big.status == 125 && big.err.hasPrefix("Error: cannot allocate 70000 user namespace ids"), "\(big.err)")
    }

    @Test func cncapplyConvergesAnAppAsTheUser() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        let spec = h.home + "/app.yaml"
        try FileSystem.writeAtomically("name: demo\nservices:\n  web:\n    image: busybox\n    command: [sleep, \"1000\"]\n    network_mode: none\n", to: spec)
        try FileSystem.setOwner(spec, uid: h.uid, gid: h.gid)
        let up = try h.cnc(["-f", spec], tool: "cncapply")
        #expect(up.status == 0, "\(up.err)")
        #expect(try h.cnc(["ps", "--format", "{{.Names}}"]).out == "demo-web-1\n")
        let down = try h.cnc(["down", "-f", spec], tool: "cncapply")
        #expect(down.status == 0, "\(down.err)")
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
    }

    @Test func withoutXDGRuntimeDirTheRuntimeDirectoryIsTmpAndInfoSaysSo() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        let r = try h.cnc(["info"], env: ["XDG_RUNTIME_DIR": ""])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("  runtime dir     \(h.fallbackRuntimeDir) (XDG_RUNTIME_DIR is unset or not a directory of uid \(h.uid))"), "\(r.out)")
        #expect(r.out.contains("State root:       \(h.stateRoot)\n"))
        var st = stat()
        #expect(lstat(h.fallbackRuntimeDir, &st) == 0 && st.st_uid == h.uid && st.st_mode & 0o777 == 0o700)
        #expect(FileSystem.exists(h.fallbackRuntimeDir + "/pause.pid"))
    }
}
