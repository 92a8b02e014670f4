import CNCCore
import CNCEngine
import CNCNetwork
import CNCSystem
import CNCTestSupport
import Testing

/// A replacement (stop-first, the default) on the app's bridge network, through cncapply's
/// engine in this process on the real kernel: the old container is stopped and removed before
/// its successor is created and started (the runtime's events say so), the successor has an
/// address its peer reaches, and when the apply returns no host veth of the old container is
/// listed: the apply batches its network releases, so the wait for the kernel to take the old
/// veth away happens once at the end rather than inside the stop, but it still happens.
@Suite(.serialized) struct ApplyReplaceOrderTests {
    @Test func theOldContainerIsGoneBeforeItsSuccessorStartsAndLeavesNoVeth() async throws {
        try await ParallelStartTests.onOwnThread { try await replaced() }
    }

    static func yaml(_ value: Int) -> String {
        "name: repl\nservices:\n"
            + "  s1:\n    image: bb:1\n    command: [\"sleep\", \"1d\"]\n    stop_grace_period: 0s\n    environment: {V: \"\(value)\"}\n"
            + "  s2:\n    image: bb:1\n    command: [\"sleep\", \"1d\"]\n    stop_grace_period: 0s\n"
    }

    func replaced() async throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        let first = try InProcessApp(root: box.root, yaml: Self.yaml(1))
        #expect(try await first.apply().report?.succeeded == true)
        let backend = first.backend
        defer {
            // Whatever the checks said: no container, veth or network of the app is left.
            let runtime = first.runtime
            for c in runtime.list() { try? runtime.remove(c.config.id.rawValue, force: true) }
            let networks = NetworkManager(root: box.root)
            for n in (try? networks.list().filter { $0.app == "repl" }) ?? [] { try? networks.remove(n.name) }
        }
        let before = try await backend.listContainers(project: "repl")
        guard let old = before.first(where: { $0.name == "repl-s1-1" }), let peer = before.first(where: { $0.name == "repl-s2-1" }) else {
            Issue.record("the first apply made \(before.map(\.name))")
            return
        }

        let result = try await InProcessApp(root: box.root, yaml: Self.yaml(2)).apply()
        #expect(result.report?.succeeded == true, "replace: \(String(describing: result.report?.failure))")
        let after = try await backend.listContainers(project: "repl")
        guard let new = after.first(where: { $0.name == "repl-s1-1" }) else {
            Issue.record("no repl-s1-1 after the replacement: \(after.map(\.name))")
            return
        }
        #expect(new.id != old.id, "s1 was not replaced")
        #expect(new.observation.status == .running)
        #expect(!after.contains { $0.id == old.id }, "the old s1 is still there")
        #expect(after.contains { $0.id == peer.id }, "s2 was replaced too")

        // Stop-first: the old one stopped before the new one started, and was destroyed (its
        // name freed) before the new one was created.
        let events = try FileSystem.readText(box.root + "/events.log").split(separator: "\n")
        func index(_ status: String, _ id: String) -> Int? {
            events.firstIndex { $0.contains("\"status\":\"\(status)\"") && $0.contains("\"id\":\"\(id)\"") }
        }
        let (oldStop, oldDestroy) = (index("stop", old.id), index("destroy", old.id))
        let (newCreate, newStart) = (index("create", new.id), index("start", new.id))
        #expect(oldStop != nil && oldDestroy != nil && newCreate != nil && newStart != nil, "events missing: \(events.count) lines")
        if let oldStop, let oldDestroy, let newCreate, let newStart {
            #expect(oldStop < newStart, "the new s1 started before the old one stopped")
            #expect(oldDestroy < newCreate, "the new s1 was created before the old one was removed")
        }

        // When the apply returns, the old container's host veth is gone; the new one has its own.
        let links = (try? FileSystem.listDirectory("/sys/class/net")) ?? []
        #expect(!links.contains { $0.hasPrefix("veth" + old.id.prefix(10)) }, "the replaced container's host veth outlived the apply")
        #expect(links.contains { $0.hasPrefix("veth" + new.id.prefix(10)) }, "the new s1 has no host veth")

        // And the peer reaches the new one at its address.
        let networks = NetworkManager(root: box.root)
        let ip = networks.attachments(of: try ContainerID(new.id)).first?.address.description ?? "none"
        let ping = try CLI.run("cnc", ["exec", "--root", box.root, peer.name, "ping", "-c", "1", "-W", "3", ip])
        #expect(ping.status == 0, "the new s1 (\(ip)) is not reachable from s2: \(ping.stdout)\(ping.stderr)")
    }
}
