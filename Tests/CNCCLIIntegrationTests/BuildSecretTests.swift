import CNCCore
import Foundation
import Testing

/// `cnc build --secret` with `RUN --mount=type=secret` on the real kernel: the RUN reads the
/// secret (file and env forms, mode and owner as asked); its bytes land nowhere in the store.
@Suite(.serialized) struct BuildSecretTests {
    static func sha256(file: String) throws -> String {
        String(try CLI.exec("/usr/bin/sha256sum", [file]).stdout.prefix(64))
    }

    /// Every regular file under `dir` whose bytes contain `needle`.
    static func filesContaining(_ needle: String, under dir: String) -> [String] {
        let data = Data(needle.utf8)
        var found: [String] = []
        let e = FileManager.default.enumerator(atPath: dir)
        while let rel = e?.nextObject() as? String {
            let path = dir + "/" + rel
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            if let bytes = FileManager.default.contents(atPath: path), bytes.range(of: data) != nil { found.append(rel) }
        }
        return found
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func secretIsReadByItsRunAndLandsNowhere() throws {
        let r = try BusyboxRoot()
        let secret = "s3cr3t-\(UInt64.random(in: 0...UInt64.max))"
        try secret.write(toFile: r.dir + "/token.txt", atomically: false, encoding: .utf8)
        let ctx = try BuildCLITests.context(r, "ctx", [
            "Dockerfile": """
                FROM bb:1
                RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -d' ' -f1 > /proof && stat -c '%a %u' /run/secrets/tok >> /proof
                RUN --mount=type=secret,id=tok,target=/etc/tok2,mode=0440,uid=1000,gid=1000 stat -c '%a %u %g' /etc/tok2 > /proof2
                RUN --mount=type=secret,id=tok,env=TOK echo "${#TOK}" > /envlen
                RUN --mount=type=secret,id=absent test ! -e /run/secrets/absent && echo skipped > /absent
                CMD ["sh", "-c", "cat /proof /proof2 /envlen /absent; test -e /run || echo no-run; test -e /etc/tok2 || echo no-stub"]
                """,
        ])
        let b = try r.cnc(["build", "--secret", "id=tok,src=" + r.dir + "/token.txt", "-t", "sec:1", ctx])
        #expect(b.status == 0, "\(b.stderr)")
        let run = try r.cnc(["run", "--rm", "sec:1"])
        #expect(run.stdout == "\(try Self.sha256(file: r.dir + "/token.txt"))\n400 0\n440 1000 1000\n\(secret.utf8.count)\nskipped\nno-run\nno-stub\n", "\(run.stderr)")
        // Not in a blob, the config, the history, the build cache or anything else of the root.
        #expect(Self.filesContaining(secret, under: r.dir) == ["token.txt"], "the scan finds the source itself, nothing of the root")
        let history = try r.cnc(["history", "--no-trunc", "sec:1"]).stdout
        #expect(history.contains("id=tok\" sha256sum /run/secrets/tok"), "\(history)")
        #expect(!history.contains(secret))
        // A rebuild with another secret value is all cache hits (the key holds no secret bytes).
        try "other".write(toFile: r.dir + "/token.txt", atomically: false, encoding: .utf8)
        let again = try r.cnc(["build", "--progress", "plain", "--secret", "id=tok,src=" + r.dir + "/token.txt", "-t", "sec:2", ctx])
        #expect(again.status == 0 && again.stderr.contains("CACHED"), "\(again.stderr)")
        try BuildCLITests.expectClean(r)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func missingSecretsFailClearly() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", [
            "Dockerfile": "FROM bb:1\nRUN --mount=type=secret,id=needed,required=true cat /run/secrets/needed\n",
        ])
        let required = try r.cnc(["build", "-t", "x:1", ctx])
        #expect(required.status == 1)
        #expect(required.stderr.contains("Dockerfile:2") && required.stderr.contains("secret needed: not found"), "\(required.stderr)")
        let noFile = try r.cnc(["build", "--secret", "id=needed,src=/nonexistent/cnc-secret", "-t", "x:1", ctx])
        #expect(noFile.status == 1)
        #expect(noFile.stderr.contains("Error: failed to stat /nonexistent/cnc-secret"), "\(noFile.stderr)")
        let bad = try r.cnc(["build", "--secret", "id=needed,color=red", "-t", "x:1", ctx])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("failed to parse secret: unexpected key 'color' in 'color=red'"), "\(bad.stderr)")
        #expect(try r.cnc(["images", "-q"]).stdout.split(separator: "\n").count == 1, "only bb:1, no tag of a failed build")
        try BuildCLITests.expectClean(r)
    }
}
