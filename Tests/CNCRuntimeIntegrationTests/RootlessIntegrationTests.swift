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
                           "echo started; touch /tmp/mine; chown 100:100 /tmp/mine; exec sleep 300"])
        #expect(d.status == 0, "\(d.err)")
        let pid = Int32(try h.cnc(["inspect", "-f", "{{.State.Pid}}", "web"]).out.trimmingSpaces) ?? 0
        #expect(pid > 0)
        #expect(RootlessHarness.hostUID(of: pid) == h.uid, "the container's root is the unprivileged user on the host")
        let e = try h.cnc(["exec", "web", "sh", "-c", "id -u; ps -o comm | grep -c sleep"])
        #expect(e.status == 0, "\(e.err)")
        #expect(e.out == "0\n1\n")
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
}
