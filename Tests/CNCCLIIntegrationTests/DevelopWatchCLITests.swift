import CNCCore
import Foundation
import Glibc
import Testing

/// Compose's `develop.watch` on the real kernel, through `cncapply watch`: a busybox httpd
/// service whose sync rule serves an edit without a restart (same pid), whose ignore'd files
/// never reach the container, whose deletions are deleted, whose sync+restart restarts it (new
/// pid), whose sync+exec runs its command, and whose rebuild rule rebuilds and replaces it.
@Suite(.serialized) struct DevelopWatchCLITests {
    static let spec = """
        name: dw
        services:
          web:
            build: ./web
            network_mode: none
            init: true
            stop_grace_period: 1s
            develop:
              watch:
                - action: sync
                  path: ./web/html
                  target: /www
                  ignore: ["*.tmp"]
                - action: sync+restart
                  path: ./web/conf
                  target: /conf
                - action: sync+exec
                  path: ./web/hooks
                  target: /hooks
                  exec:
                    command: ["sh", "-c", "cat hook.txt > /www/hooked.txt; echo $$MODE >> /www/hooked.txt; grep CapEff /proc/self/status | tr -d '\\t' > /www/caps.txt"]
                    working_dir: /hooks
                    privileged: true
                    environment: {MODE: dev}
                - action: rebuild
                  path: ./web/Dockerfile
                - action: restart
                  path: ./web/restart.txt
                - action: sync
                  path: ./web/extra
                  target: /extra
                  initial_sync: true
        """

    static func dockerfile(_ version: String) -> String {
        """
        FROM bb:1
        COPY html /www
        COPY conf /conf
        RUN echo \(version) > /version
        CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
        """
    }

    static func get(_ r: BusyboxRoot, _ file: String) -> String? {
        guard let res = try? r.cnc(["exec", "dw-web-1", "wget", "-q", "-O", "-", "http://127.0.0.1/\(file)"]), res.status == 0 else { return nil }
        return res.stdout
    }

    static func inspect(_ r: BusyboxRoot, _ format: String) throws -> String {
        try r.cnc(["inspect", "--format", format, "dw-web-1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The output after `mark` contains `needle` within `seconds`.
    static func wait(_ text: LockedText, after mark: Int, for needle: String, seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if String(text.value.dropFirst(mark)).contains(needle) { return true }
            usleep(20_000)
        }
        return false
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func syncRestartExecAndRebuildFollowTheRules() throws {
        let r = try BusyboxRoot()
        let app = r.dir + "/app"
        try ApplyBuildCLITests.write(app + "/app.yaml", Self.spec)
        try ApplyBuildCLITests.write(app + "/web/Dockerfile", Self.dockerfile("v1"))
        try ApplyBuildCLITests.write(app + "/web/html/index.html", "one\n")
        try ApplyBuildCLITests.write(app + "/web/conf/site.conf", "a\n")
        try FileManager.default.createDirectory(atPath: app + "/web/hooks", withIntermediateDirectories: true)
        try ApplyBuildCLITests.write(app + "/web/extra/sub/first.txt", "initial\n")  // not in the image: only initial_sync puts it there
        let watch = try BackgroundApply(["watch", "--root", r.root], cwd: app)
        let text = watch.text
        defer {
            watch.stop()
            _ = try? ApplyBuildCLITests.cncapply(r, ["down"], in: app)
        }
        #expect(text.wait(for: "Watch enabled", seconds: 90), "\(text.value)")
        #expect(r.eventually { Self.get(r, "index.html") == "one\n" }, "\(text.value)")
        let pid = try Self.inspect(r, "{{.State.Pid}}")
        #expect(try r.cnc(["exec", "dw-web-1", "cat", "/extra/sub/first.txt"]).stdout == "initial\n", "initial_sync")

        // sync: served at once, no restart, no rebuild.
        var mark = text.value.count
        try ApplyBuildCLITests.write(app + "/web/html/index.html", "two\n")
        #expect(Self.wait(text, after: mark, for: "Syncing service \"web\" after 1 changes were detected"), "\(text.value)")
        #expect(r.eventually { Self.get(r, "index.html") == "two\n" })
        #expect(try Self.inspect(r, "{{.State.Pid}}") == pid, "a sync must not restart the container")
        #expect(!String(text.value.dropFirst(mark)).contains("building"), "\(text.value)")

        // ignore: a *.tmp file never syncs; a new file in a new directory does; a deletion deletes.
        mark = text.value.count
        try ApplyBuildCLITests.write(app + "/web/html/scratch.tmp", "secret\n")
        try ApplyBuildCLITests.write(app + "/web/html/sub/page.html", "page\n")
        #expect(r.eventually { Self.get(r, "sub/page.html") == "page\n" }, "\(text.value)")
        #expect(try r.cnc(["exec", "dw-web-1", "test", "-e", "/www/scratch.tmp"]).status != 0, "an ignored file was synced")
        try FileManager.default.removeItem(atPath: app + "/web/html/sub/page.html")
        #expect(r.eventually { (try? r.cnc(["exec", "dw-web-1", "test", "-e", "/www/sub/page.html"]).status) == 1 }, "\(text.value)")

        // sync+restart: the file is there and the container restarted (a new pid).
        mark = text.value.count
        try ApplyBuildCLITests.write(app + "/web/conf/site.conf", "b\n")
        #expect(Self.wait(text, after: mark, for: "service(s) [\"web\"] restarted"), "\(text.value)")
        #expect(r.eventually { (try? Self.inspect(r, "{{.State.Pid}}")).map { $0 != pid && $0 != "0" } ?? false })
        #expect(try r.cnc(["exec", "dw-web-1", "cat", "/conf/site.conf"]).stdout == "b\n")
        #expect(try r.status("dw-web-1") == "running")

        // sync+exec: the command ran after the sync, in its working_dir with its environment.
        try ApplyBuildCLITests.write(app + "/web/hooks/hook.txt", "hooked\n")
        #expect(r.eventually { Self.get(r, "hooked.txt") == "hooked\ndev\n" }, "\(text.value)")
        // privileged: true, as `cnc exec --privileged`: every capability we hold, not the container's set.
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let bounding = status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") }?.split(separator: "\t").last.map(String.init) ?? "?"
        #expect(r.eventually { Self.get(r, "caps.txt") == "CapEff:\(bounding)\n" }, "\(Self.get(r, "caps.txt") ?? "none")")
        #expect(try r.cnc(["exec", "dw-web-1", "grep", "CapEff", "/proc/self/status"]).stdout.contains("00000000a80425fb"))

        // restart: a restart, nothing copied.
        let pid2 = try Self.inspect(r, "{{.State.Pid}}")
        mark = text.value.count
        try ApplyBuildCLITests.write(app + "/web/restart.txt", "go\n")
        #expect(Self.wait(text, after: mark, for: "service(s) [\"web\"] restarted"), "\(text.value)")
        #expect(r.eventually { (try? Self.inspect(r, "{{.State.Pid}}")).map { $0 != pid2 && $0 != "0" } ?? false })
        #expect(!String(text.value.dropFirst(mark)).contains("Syncing"), "\(text.value)")

        // rebuild: a new image, a new container.
        let id = try Self.inspect(r, "{{.Id}}")
        mark = text.value.count
        try ApplyBuildCLITests.write(app + "/web/Dockerfile", Self.dockerfile("v2"))
        #expect(Self.wait(text, after: mark, for: "Rebuilding service(s) [\"web\"] after changes were detected..."), "\(text.value)")
        #expect(Self.wait(text, after: mark, for: "service(s) [\"web\"] successfully built", seconds: 90), "\(text.value)")
        #expect(r.eventually { (try? r.cnc(["exec", "dw-web-1", "cat", "/version"]).stdout) == "v2\n" }, "\(text.value)")
        #expect(try Self.inspect(r, "{{.Id}}") != id)
    }

    /// Without any develop section, `cncapply watch` refuses as Compose does.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func watchWithoutDevelopRulesIsRefused() throws {
        let r = try BusyboxRoot()
        let app = r.dir + "/app"
        try ApplyBuildCLITests.write(app + "/app.yaml", "name: nw\nservices:\n  a: {image: bb:1}\n")
        let res = try CLI.exec(CLI.binDir + "/cncapply", ["watch", "--root", r.root], cwd: app)
        #expect(res.status != 0)
        #expect(res.stderr.contains("none of the selected services is configured for watch, consider setting a 'develop' section"), "\(res.stderr)")
    }

    /// `cncapply watch SERVICE...`: only the named services' rules; an unknown service is
    /// Compose's error; a sync rule whose path a bind mount of its service covers is left out
    /// with Compose's warning (the other rules still work).
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func servicesArgumentsAndBindMountWarning() throws {
        let r = try BusyboxRoot()
        let app = r.dir + "/app"
        func service(_ extra: String) -> String {
            "    image: bb:1\n    command: [\"sleep\", \"1000\"]\n    network_mode: none\n    init: true\n    stop_grace_period: 1s\n" + extra
        }
        try ApplyBuildCLITests.write(app + "/app.yaml", "name: dws\nservices:\n  a:\n" + service("""
                volumes: ["./a:/data"]
                develop:
                  watch:
                    - {action: sync, path: ./a/sub, target: /data/sub}
                    - {action: sync, path: ./other, target: /other}

            """) + "  b:\n" + service("""
                develop:
                  watch:
                    - {action: sync, path: ./bfiles, target: /bfiles}

            """) + "  c:\n" + service(""))
        for d in ["a/sub", "other", "bfiles"] { try FileManager.default.createDirectory(atPath: app + "/" + d, withIntermediateDirectories: true) }
        let unknown = try CLI.exec(CLI.binDir + "/cncapply", ["watch", "--root", r.root, "nosuch"], cwd: app)
        #expect(unknown.status == 1 && unknown.stderr.contains("no such service: nosuch"), "\(unknown.stderr)")
        let none = try CLI.exec(CLI.binDir + "/cncapply", ["watch", "--root", r.root, "c"], cwd: app)
        #expect(none.status != 0 && none.stderr.contains("none of the selected services is configured for watch"), "\(none.stderr)")

        let watch = try BackgroundApply(["watch", "--root", r.root, "a"], cwd: app)
        let text = watch.text
        defer {
            watch.stop()
            _ = try? ApplyBuildCLITests.cncapply(r, ["down"], in: app)
        }
        #expect(text.wait(for: "Watch enabled", seconds: 90), "\(text.value)")
        #expect(text.value.contains("path '\(app)/a/sub' also declared by a bind mount volume, this path won't be monitored!"), "\(text.value)")
        try ApplyBuildCLITests.write(app + "/bfiles/b.txt", "b\n")
        try ApplyBuildCLITests.write(app + "/a/sub/bound.txt", "bound\n")
        try ApplyBuildCLITests.write(app + "/other/x.txt", "x\n")
        #expect(r.eventually { (try? r.cnc(["exec", "dws-a-1", "cat", "/other/x.txt"]).stdout) == "x\n" }, "\(text.value)")
        // The bound file is there through the bind mount, not a sync; b's rule is not followed.
        #expect(try r.cnc(["exec", "dws-a-1", "cat", "/data/sub/bound.txt"]).stdout == "bound\n")
        #expect(try r.cnc(["exec", "dws-b-1", "test", "-e", "/bfiles/b.txt"]).status == 1)
        #expect(!text.value.contains("Syncing service \"b\""), "\(text.value)")
        #expect(text.value.contains("Syncing service \"a\" after 1 changes were detected"), "\(text.value)")
    }

    /// `--prune` (Compose's default): after a rebuild the service's previous image goes, once
    /// no kept revision needs it (revision_history: 1 here); `--prune=false` keeps it (dangling).
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"), arguments: [true, false])
    func rebuildPrunesThePreviousImage(prune: Bool) throws {
        let r = try BusyboxRoot()
        let app = r.dir + "/app"
        try ApplyBuildCLITests.write(app + "/app.yaml", """
            name: dwp
            x-cnc: {revision_history: 1}
            services:
              web:
                build: ./web
                command: ["sleep", "1000"]
                network_mode: none
                init: true
                stop_grace_period: 1s
                develop:
                  watch:
                    - {action: rebuild, path: ./web/Dockerfile}
            """)
        try ApplyBuildCLITests.write(app + "/web/Dockerfile", "FROM bb:1\nRUN echo v1 > /version\n")
        let watch = try BackgroundApply(["watch", "--root", r.root, "--quiet"] + (prune ? [] : ["--prune=false"]), cwd: app)
        let text = watch.text
        defer {
            watch.stop()
            _ = try? ApplyBuildCLITests.cncapply(r, ["down"], in: app)
        }
        #expect(text.wait(for: "Watch enabled", seconds: 90), "\(text.value)")
        let old = try ApplyBuildCLITests.imageID(r, "dwp-web")
        #expect(old.hasPrefix("sha256:"), "\(old)")
        let mark = text.value.count
        try ApplyBuildCLITests.write(app + "/web/Dockerfile", "FROM bb:1\nRUN echo v2 > /version\n")
        #expect(Self.wait(text, after: mark, for: "service(s) [\"web\"] successfully built", seconds: 90), "\(text.value)")
        #expect(r.eventually { (try? r.cnc(["exec", "dwp-web-1", "cat", "/version"]).stdout) == "v2\n" }, "\(text.value)")
        #expect(try ApplyBuildCLITests.imageID(r, "dwp-web") != old)
        if prune {
            #expect(r.eventually { (try? BuildCLITests.image(r, "inspect", [old]).status) == 1 }, "the previous image was pruned")
        } else {
            #expect(try BuildCLITests.image(r, "inspect", [old]).status == 0, "--prune=false keeps the previous image")
        }
        // --quiet: no build step lines.
        #expect(!String(text.value.dropFirst(mark)).contains("RUN echo v2"), "\(text.value)")
    }
}
