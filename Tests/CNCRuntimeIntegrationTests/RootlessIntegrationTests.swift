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
        #expect(h.processes().isEmpty)
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
        var port: UInt16 = 18_000 + UInt16.random(in: 0..<1000)
        while !PortProbe.isFree(address: [127, 0, 0, 1], port: port, udp: false) { port += 1 }
        // No --network: rootless cnc's default network is pasta's.
        let d = try h.cnc(["run", "-d", "--name", "web", "-p", "127.0.0.1:\(port):80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"])
        #expect(d.status == 0, "\(d.err)")
        #expect(try h.cnc(["ps", "--format", "{{.Ports}}"]).out == "127.0.0.1:\(port)->80/tcp\n")
        var body = ""
        for _ in 0..<50 where !body.hasPrefix("root:") {
            body = String(decoding: try Spawn.capture("/usr/bin/curl", ["-s", "-m", "2", "http://127.0.0.1:\(port)/passwd"], environment: []).stdout,
                          as: UTF8.self)
            if !body.hasPrefix("root:") { usleep(50_000) }
        }
        #expect(body.hasPrefix("root:x:0:0:"), "the container's httpd answers on the host's 127.0.0.1:\(port)")
        // The container has the host's address on its interface, and a default route.
        let route = try h.cnc(["exec", "web", "cat", "/proc/net/route"]).out
        #expect(route.split(separator: "\n").contains { $0.split(separator: "\t").dropFirst().first == "00000000" }, "\(route)")
        // Stopping it ends its pasta: the port is free again.
        #expect(try h.cnc(["stop", "-t", "0", "web"]).status == 0)
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
        // A user namespace of the container's own is not built rootless: refused before anything exists.
        let u = try h.cnc(["run", "--rm", "--network", "none", "--userns", "auto", "busybox", "true"])
        #expect(u.status == 125)
        #expect(u.err.hasPrefix("Error: --userns auto is not supported by rootless cnc yet"), "\(u.err)")
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
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
