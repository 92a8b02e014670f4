import Foundation
import CNCTestSupport
import Testing

/// The bundled examples, run as a user would run them.
@Suite(.serialized) struct ExampleTests {
    @Test func rollbackExampleDeploysRollsBackByItselfAndManually() throws {
        let root = "/tmp/cnc-example-root-\(UUID().uuidString.prefix(8))"
        defer { TestRoots.removeNetworks(root); try? FileManager.default.removeItem(atPath: root) }
        let port = 20000 + Int.random(in: 0..<20000)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/rollback/rollback.sh").path
        let r = try CLI.exec("/bin/bash", ["-c", "exec \"$0\" \"$1\" 2>&1", script, String(port)], env: ["CNC_ROOT": root, "BIN": CLI.binDir])
        let text = r.stdout
        #expect(r.status == 0, "\(text)")
        // v1, then v2, v3 is refused and v2 stays, then the manual rollback brings v1 back.
        let versions = text.split(separator: "\n").filter { $0.lowercased().hasPrefix("version:") }.map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(versions == ["v1", "v2", "v2", "v1"], "\(text)")
        #expect(text.contains("health gate failed: rolling back to revision 2"))
        #expect(text.contains("rollback to 1"))
        #expect(text.contains("rollback-demo-web-1: removed"))
    }
}

@Suite(.serialized) struct ShopExampleTests {
    @Test func shopComesUpHealthyOnTwoNetworksWithAVolume() throws {
        let app = try AppRoot()
        let top = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        // The shop's images: busybox (the test rootfs) and the httpserver example's.
        #expect(try CLI.run("cnc", ["tag", "--root", app.root, "app:stable", "busybox:1.36"]).status == 0)
        let build = try CLI.exec("/bin/bash", [top.appendingPathComponent("examples/httpserver/build-image.sh").path, "v1", "--root", app.root],
                                 env: ["CNC": CLI.binDir + "/cnc"])
        #expect(build.status == 0, "\(build.stderr)")
        let port = 20000 + Int.random(in: 0..<20000)
        let spec = top.appendingPathComponent("examples/shop/app.yaml").path
        let r = try CLI.exec("/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>&1", CLI.binDir + "/cncapply", "-f", spec, "--wait", "--root", app.root],
                             env: ["SHOP_PORT": String(port)])
        let text = r.stdout
        #expect(r.status == 0, "\(text)")
        // db was healthy before api started (depends_on: service_healthy).
        let lines = text.split(separator: "\n").map(String.init)
        let dbStarted = lines.firstIndex { $0.hasPrefix("shop-db-1: started") } ?? Int.max
        let apiCreating = lines.firstIndex { $0.hasPrefix("shop-api-1: creating") } ?? -1
        #expect(dbStarted < apiCreating, "\(text)")
        let body = try? String(contentsOf: URL(string: "http://127.0.0.1:\(port)/")!, encoding: .utf8)
        #expect(body == "hello from httpserver v1\n")
        let boots = try CLI.run("cnc", ["exec", "--root", app.root, "shop-api-2", "wget", "-q", "-O", "-", "http://db:5432/boots"])
        #expect(boots.status == 0 && !boots.stdout.isEmpty)
        let down = try CLI.run("cncapply", ["down", "-p", "shop", "--volumes", "-t", "0", "--root", app.root])
        #expect(down.stdout.contains("volume data: removed"))
    }
}
