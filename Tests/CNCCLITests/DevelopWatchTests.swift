import CNCCore
import CNCSpec
import Foundation
import Testing
@testable import CNCAppCLI

/// develop.watch's pure part: which rule a changed path falls under, where it goes in the
/// container, what each action asks for (once per batch), what is ignored (the rule's ignore,
/// the context's .dockerignore, editors' temp files, .git) and what include narrows; and that
/// develop never reaches a service's config hash.
@Suite struct DevelopWatchTests {
    static func rule(_ action: WatchRule.Action, _ path: String, target: String? = nil, ignore: [String] = [], include: [String] = [],
                     exec: [String]? = nil) -> WatchRule {
        var r = WatchRule(action: action, path: path)
        r.target = target
        r.ignore = ignore
        r.include = include
        r.exec = exec.map { WatchExec(command: $0) }
        return r
    }

    static func app(_ rules: [String: [WatchRule]], context: String? = nil) -> AppSpec {
        AppSpec(name: "dev", services: rules.mapValues { r in
            var s = ServiceSpec()
            s.build = context.map { BuildSpec(context: $0) }
            s.develop = DevelopSpec(watch: r)
            return s
        })
    }

    @Test func actionsPerBatch() {
        let w = DevelopWatch(app: Self.app([
            "web": [Self.rule(.sync, "/p/web/html", target: "/www", ignore: ["*.tmp", "drafts/"]),
                    Self.rule(.syncRestart, "/p/web/conf", target: "/etc/app"),
                    Self.rule(.rebuild, "/p/web/Dockerfile")],
            "api": [Self.rule(.syncExec, "/p/api/src", target: "/src", include: ["*.py"], exec: ["reload"]),
                    Self.rule(.restart, "/p/api/env")],
        ]))
        let b = w.batch([
            "/p/web/html/index.html", "/p/web/html/a/b.css", "/p/web/html/x.tmp", "/p/web/html/drafts/new.html",
            "/p/web/html/.index.html.swp", "/p/web/html/.git/HEAD", "/p/web/conf/app.conf",
            "/p/api/src/main.py", "/p/api/src/lib/util.py", "/p/api/src/README.md", "/p/api/env",
            "/p/app.yaml", "/p/web/Dockerfile",
        ])
        #expect(b.sync["web"] == [.init(host: "/p/web/html/index.html", container: "/www/index.html"),
                                  .init(host: "/p/web/html/a/b.css", container: "/www/a/b.css"),
                                  .init(host: "/p/web/conf/app.conf", container: "/etc/app/app.conf")])
        #expect(b.sync["api"] == [.init(host: "/p/api/src/main.py", container: "/src/main.py")])
        #expect(b.restart == ["web", "api"])
        #expect(b.rebuild == ["web"])
        #expect(b.exec["api"]?.map(\.command) == [["reload"]], "an exec hook runs once per batch")
        #expect(b.unmatched == ["/p/web/html/x.tmp", "/p/web/html/drafts/new.html", "/p/web/html/.index.html.swp",
                                "/p/web/html/.git/HEAD", "/p/api/src/lib/util.py", "/p/api/src/README.md", "/p/app.yaml"])
        #expect(w.trees == ["/p/api/env", "/p/api/src", "/p/web/Dockerfile", "/p/web/conf", "/p/web/html"])
        #expect(w.services == ["web", "api"])
        #expect(w.batch(["/p/other/file"]).isEmpty)
    }

    @Test func aRuleOnAFileAndTheContextsDockerignore() throws {
        let dir = NSTemporaryDirectory() + "cnc-dw-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/web/html/sub", withIntermediateDirectories: true)
        try "**/*.log\n".write(toFile: dir + "/web/.dockerignore", atomically: true, encoding: .utf8)
        for f in ["index.html", "sub/page.html", "debug.log", "Dockerfile", "skip.tmp"] {
            try "x".write(toFile: dir + "/web/html/" + f, atomically: true, encoding: .utf8)
        }
        var sync = Self.rule(.sync, dir + "/web/html", target: "/www", ignore: ["*.tmp"])
        sync.initialSync = true
        let w = DevelopWatch(app: Self.app(["web": [sync, Self.rule(.syncRestart, dir + "/web/nginx.conf", target: "/etc/nginx.conf")]],
                                           context: dir + "/web"))
        #expect(w.batch([dir + "/web/html/debug.log"]).isEmpty, "the build context's .dockerignore applies")
        #expect(w.batch([dir + "/web/nginx.conf"]).sync["web"] == [.init(host: dir + "/web/nginx.conf", container: "/etc/nginx.conf")])
        // initial_sync: every file the rule matches, no Dockerfile, no ignored file.
        #expect(w.initialSync()["web"] == [.init(host: dir + "/web/html/index.html", container: "/www/index.html"),
                                           .init(host: dir + "/web/html/sub/page.html", container: "/www/sub/page.html")])
    }

    @Test func developIsNotHashed() throws {
        var s = ServiceSpec()
        s.image = try ImageReference(parsing: "busybox")
        let before = try s.configHashInput()
        s.develop = DevelopSpec(watch: [Self.rule(.sync, "/p/src", target: "/src")])
        #expect(try s.configHashInput() == before)
    }
}
