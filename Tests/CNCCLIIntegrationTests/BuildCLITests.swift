import CNCCore
import CNCSystem
import Foundation
import Glibc
import Testing

/// `cnc build` on the real kernel: RUN through cnc's runtime, layers, multi-stage, the cache,
/// hostile contexts, errors with their Dockerfile line, and what a failed or killed build leaves.
@Suite(.serialized) struct BuildCLITests {
    /// A context directory under the root's temp dir with `files` (path -> content).
    static func context(_ r: BusyboxRoot, _ name: String, _ files: [String: String]) throws -> String {
        let dir = r.dir + "/" + name
        for (path, content) in files {
            let full = dir + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try content.write(toFile: full, atomically: false, encoding: .utf8)
        }
        return dir
    }

    /// `cnc image VERB --root ROOT ARGS...`.
    static func image(_ r: BusyboxRoot, _ verb: String, _ args: [String]) throws -> CLI.Result {
        try CLI.exec(CLI.binDir + "/cnc", ["image", verb, "--root", r.root] + args)
    }

    /// Nothing of a build remains: no container, no scratch directory.
    static func expectClean(_ r: BusyboxRoot) throws {
        #expect(try r.cnc(["ps", "-a", "-q"]).stdout.isEmpty)
        try expectCleanOfBuilds(r)
    }

    /// No RUN container and no scratch directory of a build remains (other containers may run).
    static func expectCleanOfBuilds(_ r: BusyboxRoot) throws {
        #expect(!(try r.cnc(["ps", "-a", "--format", "{{.Names}}"]).stdout.contains("cnc-build-")))
        let scratch = (try? FileManager.default.contentsOfDirectory(atPath: r.root + "/build-tmp")) ?? []
        #expect(scratch.isEmpty, "\(scratch)")
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func multiStageBuildRunsWithWhiteoutsAndHistory() throws {
        let r = try BusyboxRoot()
        let ctx = try Self.context(r, "ctx", [
            "a.txt": "hello\n", "sub/b.txt": "bee\n",
            "Dockerfile": """
                FROM bb:1 AS build
                WORKDIR /src
                COPY a.txt sub ./
                RUN echo built > /out.txt && rm /etc/motd && rm -rf /var/cache && mkdir /var/cache && touch /var/cache/new

                FROM nosuch-image-never-pulled:1 AS unused
                RUN exit 1

                FROM build
                ENV GREETING=hi
                COPY --from=build /src /copied
                LABEL org.example=yes
                EXPOSE 8080
                ENTRYPOINT ["sh", "-c"]
                CMD ["cat /out.txt; cat /copied/b.txt; ls /var/cache; test -e /etc/motd || echo motd-gone; echo $GREETING"]
                """,
        ])
        let b = try r.cnc(["build", "-t", "app:1", "-t", "app:latest", "--label", "built.by=test", ctx])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stderr.contains("[build 4/4] RUN echo built"))
        #expect(!b.stderr.contains("unused"), "an unused stage is skipped")
        #expect(b.stderr.contains("naming to docker.io/library/app:1 done"))
        let run = try r.cnc(["run", "--rm", "app:1"])
        #expect(run.stdout == "built\nbee\nnew\nmotd-gone\nhi\n", "\(run.stderr)")
        let config = try Self.image(r, "inspect", ["--format", "{{json .Config}}", "app:latest"]).stdout
        #expect(config.contains("\"org.example\":\"yes\"") && config.contains("\"built.by\":\"test\"") && config.contains("8080/tcp"), "\(config)")
        // Only RUN and COPY made layers; the rest is config, shown as 0B steps.
        let history = try r.cnc(["history", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}", "app:1"]).stdout
        #expect(history.contains("0B\tENV GREETING=hi"), "\(history)")
        #expect(history.contains("0B\tEXPOSE 8080"), "\(history)")
        #expect(!history.contains("0B\tCOPY --from=build /src /copied"), "\(history)")
        #expect(!history.contains("0B\tRUN echo built"), "\(history)")
        // The deletions are whiteouts in the RUN layer: a container of the build stage sees them too.
        #expect(try r.cnc(["run", "--rm", "--entrypoint", "ls", "app:1", "/etc"]).stdout.contains("motd") == false)
        #expect(try Self.image(r, "tag-history", ["app:1"]).stdout.contains("build"))
        // --target builds the named stage only.
        let t = try r.cnc(["build", "--target", "build", "-q", "-t", "stage:1", ctx])
        #expect(t.status == 0 && t.stdout.hasPrefix("sha256:") && t.stderr.isEmpty, "\(t.stderr)")
        #expect(try r.cnc(["run", "--rm", "stage:1", "pwd"]).stdout == "/src\n")
        try Self.expectClean(r)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func cacheHitsOnRebuildMissesOnAByteAndIgnoresTouch() throws {
        let r = try BusyboxRoot()
        let ctx = try Self.context(r, "ctx", [
            "dep.txt": "v1\n", "src.txt": "code\n",
            "Dockerfile": """
                FROM bb:1
                COPY dep.txt /dep.txt
                RUN cat /proc/sys/kernel/random/uuid > /stamp1
                COPY src.txt /src.txt
                RUN cat /proc/sys/kernel/random/uuid > /stamp2
                """,
        ])
        let first = try r.cnc(["build", "--iidfile", r.dir + "/iid", "-t", "c:1", ctx])
        #expect(first.status == 0 && !first.stderr.contains("CACHED"), "\(first.stderr)")
        let id1 = try String(contentsOfFile: r.dir + "/iid", encoding: .utf8)
        #expect(id1.hasPrefix("sha256:"))
        // No change: every step CACHED, nothing runs, the same image.
        let again = try r.cnc(["build", "-t", "c:1", ctx])
        #expect(again.status == 0)
        #expect(again.stderr.components(separatedBy: "CACHED").count - 1 == 4, "\(again.stderr)")
        #expect(try r.cnc(["build", "-q", "-t", "c:1", ctx]).stdout == id1 + "\n")
        // touch changes no content: still cached.
        _ = try CLI.exec("/usr/bin/touch", ["-d", "2001-01-01", ctx + "/src.txt"])
        #expect(try r.cnc(["build", "-q", "-t", "c:1", ctx]).stdout == id1 + "\n")
        // One byte: that COPY and every later step run again; the ones before stay cached.
        try "coda\n".write(toFile: ctx + "/src.txt", atomically: false, encoding: .utf8)
        let changed = try r.cnc(["build", "-t", "c:2", ctx])
        #expect(changed.status == 0)
        #expect(changed.stderr.components(separatedBy: "CACHED").count - 1 == 2, "\(changed.stderr)")
        let stamps1 = try r.cnc(["run", "--rm", "c:1", "cat", "/stamp1", "/stamp2", "/src.txt"]).stdout.split(separator: "\n")
        let stamps2 = try r.cnc(["run", "--rm", "c:2", "cat", "/stamp1", "/stamp2", "/src.txt"]).stdout.split(separator: "\n")
        #expect(stamps1.count == 3 && stamps2.count == 3)
        #expect(stamps1.first == stamps2.first && stamps1[1] != stamps2[1] && stamps2.last == "coda")
        // --no-cache runs everything again.
        let fresh = try r.cnc(["build", "--no-cache", "-t", "c:3", ctx])
        #expect(fresh.status == 0 && !fresh.stderr.contains("CACHED"))
        try Self.expectClean(r)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func hostileContextNeverReadsHostFiles() throws {
        let r = try BusyboxRoot()
        let ctx = try Self.context(r, "ctx", ["ok.txt": "ok\n", "dir/inner.txt": "inner\n"])
        _ = symlink("/etc/passwd", ctx + "/passwd-link")
        _ = symlink("../../../../../../etc", ctx + "/dir/etc-link")
        _ = symlink("/etc", ctx + "/etc-abs")
        func build(_ dockerfile: String) throws -> CLI.Result {
            try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "-f", "-", "-t", "h:1", ctx], stdin: dockerfile)
        }
        // A symlink to a host file resolves inside the context: there is no such file.
        let link = try build("FROM bb:1\nCOPY passwd-link /x\n")
        #expect(link.status == 1 && link.stderr.contains("Error: Dockerfile:2: COPY: \"/passwd-link\": not found"), "\(link.stderr)")
        // ../ is clamped at the context's root.
        let up = try build("FROM bb:1\nCOPY ../../../../etc/passwd /x\n")
        #expect(up.status == 1 && up.stderr.contains("Error: Dockerfile:2: COPY: \"/etc/passwd\": not found"), "\(up.stderr)")
        let abs = try build("FROM bb:1\nCOPY etc-abs/hostname /x\n")
        #expect(abs.status == 1 && abs.stderr.contains("not found"), "\(abs.stderr)")
        // A directory's symlinks are copied as links, never followed.
        let dir = try build("FROM bb:1\nCOPY dir /d/\n")
        #expect(dir.status == 0, "\(dir.stderr)")
        let listed = try r.cnc(["run", "--rm", "h:1", "sh", "-c", "cat /d/inner.txt; readlink /d/etc-link; ls /d/etc-link/ 2>&1 | head -1"]).stdout
        #expect(listed.hasPrefix("inner\n../../../../../../etc\n"), "\(listed)")
        #expect(!listed.contains("passwd"))
        // ADD of an archive with an entry that leaves its root is refused; a sane one extracts.
        _ = try CLI.exec("/usr/bin/env", ["python3", "-c", """
            import tarfile, io, sys
            for name, members in [('evil.tar.gz', ['../../escape.txt']), ('good.tar.gz', ['top/f.txt'])]:
                t = tarfile.open(sys.argv[1] + '/' + name, 'w:gz')
                for m in members:
                    i = tarfile.TarInfo(m); i.size = 3; t.addfile(i, io.BytesIO(b'hi\\n'))
                t.close()
            """, ctx])
        let evil = try build("FROM bb:1\nADD evil.tar.gz /unpacked/\n")
        #expect(evil.status == 1 && evil.stderr.contains("Error: Dockerfile:2: ADD: "), "\(evil.stderr)")
        #expect(!FileManager.default.fileExists(atPath: r.dir + "/escape.txt") && !FileManager.default.fileExists(atPath: "/escape.txt"))
        let good = try build("FROM bb:1\nADD good.tar.gz /unpacked/\nCOPY good.tar.gz /kept/\n")
        #expect(good.status == 0, "\(good.stderr)")
        #expect(try r.cnc(["run", "--rm", "h:1", "sh", "-c", "cat /unpacked/top/f.txt; ls /kept"]).stdout == "hi\ngood.tar.gz\n")
        try Self.expectClean(r)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func failingRunNamesItsLineExitCodeAndOutputAndLeavesNothing() throws {
        let r = try BusyboxRoot()
        let ctx = try Self.context(r, "ctx", ["Dockerfile": "FROM bb:1\nRUN touch /ok\nRUN echo first; echo 'last words' >&2; exit 3\n"])
        let b = try r.cnc(["build", "-t", "broken:1", ctx])
        #expect(b.status == 1)
        #expect(b.stderr.contains("Error: Dockerfile:3: RUN: process \"/bin/sh -c echo first; echo 'last words' >&2; exit 3\" did not complete successfully: exit code: 3"), "\(b.stderr)")
        #expect(b.stderr.contains("  > first\n  > last words"), "\(b.stderr)")
        #expect(try Self.image(r, "inspect", ["broken:1"]).status != 0, "a failed build leaves no tag")
        try Self.expectClean(r)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func killedBuildLeavesNothingTheNextBuildTrips() throws {
        let r = try BusyboxRoot()
        let ctx = try Self.context(r, "ctx", ["Dockerfile": "FROM bb:1\nRUN sleep 60\n"])
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        let pid = try r.start(["build", "-t", "killed:1", ctx], fds: [devnull, devnull, devnull])
        #expect(r.eventually { (try? r.cnc(["ps", "-q"]).stdout.isEmpty) == false }, "the RUN container started")
        _ = kill(pid, SIGKILL)
        _ = try Spawn.wait(pid)
        try "FROM bb:1\nRUN echo fine > /f\n".write(toFile: ctx + "/Dockerfile", atomically: false, encoding: .utf8)
        let next = try r.cnc(["build", "-t", "next:1", ctx])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try r.cnc(["run", "--rm", "next:1", "cat", "/f"]).stdout == "fine\n")
        #expect(try Self.image(r, "inspect", ["killed:1"]).status != 0)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(r.root))
        try Self.expectClean(r)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func configInstructionsFollowDocker() throws {
        let r = try BusyboxRoot()
        let ctx = try Self.context(r, "ctx", ["README": "empty context\n"])
        func build(_ tag: String, _ dockerfile: String, _ extra: [String] = []) throws {
            let b = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "-f", "-", "-t", tag] + extra + [ctx], stdin: dockerfile)
            #expect(b.status == 0, "\(b.stderr)")
        }
        // ONBUILD triggers run in the child build; ARG and --build-arg reach RUN; WORKDIR joins.
        try build("base:1", "FROM bb:1\nONBUILD RUN echo triggered > /onbuild\nCMD [\"echo\", \"base\"]\n")
        try build("child:1", """
            FROM base:1
            ARG WHO=nobody
            WORKDIR /a
            WORKDIR b
            RUN echo "$WHO" > who
            USER 1000:1000
            ENTRYPOINT ["cat"]
            """, ["--build-arg", "WHO=builder"])
        #expect(try r.cnc(["run", "--rm", "child:1", "/onbuild", "/a/b/who"]).stdout == "triggered\nbuilder\n")
        // ENTRYPOINT reset the base image's CMD.
        let config = try Self.image(r, "inspect", ["--format", "{{json .Config}}", "child:1"]).stdout
        #expect(config.contains("\"Cmd\":null") && config.contains("\"WorkingDir\":\"/a/b\"") && config.contains("\"User\":\"1000:1000\""), "\(config)")
        // Unset fields Docker never omits print null, as `docker image inspect` does.
        #expect(config.contains("\"OnBuild\":null"), "\(config)")
        #expect(try Self.image(r, "inspect", ["--format", "{{json .Config.OnBuild}}", "child:1"]).stdout == "null\n")
        // --check: lint only, findings as PATH:LINE: Rule: ..., exit 1.
        let check = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "--check", "-f", "-", ctx], stdin: "FROM bb:1\nCMD echo hi\n")
        #expect(check.status == 1 && check.stdout.contains("Dockerfile:2: JSONArgsRecommended: "), "\(check.stdout)")
        let clean = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "--check", "-f", "-", ctx], stdin: "FROM bb:1\nUSER 1000\nCMD [\"true\"]\n")
        #expect(clean.status == 0 && clean.stdout.isEmpty, "\(clean.stdout)")
        // --check -o json: the same findings as JSON for CI, the same exit status; another -o is refused.
        let json = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "--check", "-o", "json", "-f", "-", ctx], stdin: "FROM bb:1\nCMD echo hi\n")
        #expect(json.status == 1, "\(json.stderr)")
        struct Report: Decodable {
            struct Warning: Decodable { struct Location: Decodable { var file: String; var line: Int }; var ruleName: String; var detail: String; var location: Location }
            var warnings: [Warning]
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(json.stdout.utf8))
        let rule = report.warnings.first { $0.ruleName == "JSONArgsRecommended" }
        #expect(rule?.location.line == 2 && rule?.location.file == "Dockerfile" && rule?.detail.isEmpty == false, "\(json.stdout)")
        let cleanJSON = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "--check", "-o", "json", "-f", "-", ctx], stdin: "FROM bb:1\nUSER 1000\nCMD [\"true\"]\n")
        #expect(cleanJSON.status == 0 && (try? JSONDecoder().decode(Report.self, from: Data(cleanJSON.stdout.utf8)))?.warnings.isEmpty == true, "\(cleanJSON.stdout)")
        let other = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "--check", "-o", "type=oci,dest=x.tar", "-f", "-", ctx], stdin: "FROM bb:1\n")
        #expect(other.status != 0 && other.stderr.contains("--check takes -o json"), "\(other.stderr)")
        try Self.expectClean(r)
    }

    /// Details checked side by side with docker's BuildKit: a child stage sees its base stage's
    /// ARGs, COPY heredocs are substituted (not when the delimiter is quoted), EXPOSE ranges and
    /// protocols, HEALTHCHECK --start-interval in the config, a WORKDIR no layer made under a
    /// non-root USER.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func stageArgsHeredocsExposeAndHealthcheckFollowBuildKit() throws {
        let r = try BusyboxRoot()
        let ctx = try Self.context(r, "ctx", ["README": "empty context\n"])
        let dockerfile = """
            ARG GREETING=hi
            FROM bb:1 AS base
            ARG GREETING
            ARG V=1.0
            FROM base AS child
            RUN echo "v=$V $GREETING" > /v
            COPY <<EOF <<'RAW' /etc/
            k=${V} "${GREETING}"
            EOF
            k=${V}
            RAW
            EXPOSE 8000-8002 90/UDP
            HEALTHCHECK --start-interval=2s --interval=3s CMD ["true"]
            WORKDIR /made/at/start
            USER 1000:1000
            """
        for (args, v) in [([String](), "1.0"), (["--build-arg", "V=2"], "2")] {
            let b = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "-q", "-f", "-", "-t", "parity:1"] + args + [ctx], stdin: dockerfile)
            #expect(b.status == 0, "\(b.stderr)")
            // No layer made the WORKDIR: the container's start makes it (as root, as Docker) before USER applies.
            let run = try r.cnc(["run", "--rm", "parity:1", "sh", "-c", "pwd; stat -c '%u %a' .; cat /v /etc/EOF /etc/RAW"])
            #expect(run.stdout == "/made/at/start\n0 755\nv=\(v) hi\nk=\(v) \"hi\"\nk=${V}\n", "\(run.stdout) \(run.stderr)")
        }
        // ARG leaves an empty-layer history entry with the Dockerfile's default, never the --build-arg value.
        let history = try r.cnc(["history", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}", "parity:1"]).stdout
        #expect(history.contains("0B\tARG GREETING\n") && history.contains("0B\tARG V=1.0\n") && !history.contains("V=2"), "\(history)")
        let ports = try Self.image(r, "inspect", ["--format", "{{json .Config.ExposedPorts}}", "parity:1"]).stdout
        #expect(ports.trimmingCharacters(in: .whitespacesAndNewlines) == #"{"8000/tcp":{},"8001/tcp":{},"8002/tcp":{},"90/udp":{}}"#, "\(ports)")
        let health = try Self.image(r, "inspect", ["--format", "{{json .Config.Healthcheck}}", "parity:1"]).stdout
        #expect(health.contains(#""StartInterval":2000000000"#) && health.contains(#""Interval":3000000000"#), "\(health)")
        try Self.expectClean(r)
    }

    /// A directory source copies its content, not itself, as BuildKit: an existing destination
    /// keeps its mode (`COPY src/ /tmp/` leaves /tmp 1777), a new one is 0755 or --chmod's mode,
    /// owned by --chown's user; the source directory's own mode (0751 here) is never applied.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func directoryCopyLeavesTheDestinationsModeAsBuildKit() throws {
        let r = try BusyboxRoot()
        let ctx = try Self.context(r, "ctx", ["src/d/two": "2\n", "src/one": "1\n"])
        #expect(chmod(ctx + "/src/d", 0o751) == 0 && chmod(ctx + "/src", 0o751) == 0)
        let dockerfile = """
            FROM bb:1
            RUN chmod 1777 /tmp && mkdir /ex && chmod 700 /ex
            COPY src/ /tmp/
            COPY src /ex
            COPY src/d /nosl
            COPY --chown=7:8 src/d /sl/
            COPY --chmod=750 src/d /chm/
            COPY src/* /glob/
            """
        let b = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "-q", "-f", "-", "-t", "dirs:1", ctx], stdin: dockerfile)
        #expect(b.status == 0, "\(b.stderr)")
        let out = try r.cnc(["run", "--rm", "dirs:1", "stat", "-c", "%n %a %u:%g", "/tmp", "/ex", "/nosl", "/sl", "/chm", "/chm/two", "/glob", "/tmp/d"]).stdout
        #expect(out == "/tmp 1777 0:0\n/ex 700 0:0\n/nosl 755 0:0\n/sl 755 7:8\n/chm 750 0:0\n/chm/two 750 0:0\n/glob 755 0:0\n/tmp/d 751 0:0\n", "\(out)")
        // The layer carries an existing parent with its own metadata (so `docker load` agrees).
        let tar = r.dir + "/dirs.tar"
        let saved = try Self.image(r, "save", ["-o", tar, "dirs:1"])
        #expect(saved.status == 0, "\(saved.stderr)")
        let modes = try CLI.exec("/usr/bin/env", ["python3", "-c", """
            import tarfile, json, sys
            t = tarfile.open(sys.argv[1])
            for l in json.load(t.extractfile('manifest.json'))[0]['Layers']:
                names = {e.name.rstrip('/'): e.mode & 0o7777 for e in tarfile.open(fileobj=t.extractfile(l))}
                if 'tmp/one' in names: print('tmp', oct(names.get('tmp', 0)))
                if 'ex/one' in names: print('ex', oct(names.get('ex', 0)))
            """, tar]).stdout
        #expect(modes == "tmp 0o1777\nex 0o700\n", "\(modes)")
        try Self.expectClean(r)
    }

    /// RUN --mount=type=bind (read-only, or `rw` into a throwaway copy: its writes never reach
    /// the context) and type=tmpfs: what the step sees, nothing of either in
    /// the image, the context untouched.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func bindAndTmpfsMountsReachTheirRunOnly() throws {
        let r = try BusyboxRoot()
        // .dockerignore hides src/secret from the bind as from a COPY (BuildKit binds the context it was sent).
        let ctx = try Self.context(r, "ctx", ["src/f": "orig\n", "src/secret": "s\n", ".dockerignore": "src/secret\n"])
        let dockerfile = """
            FROM bb:1
            RUN --mount=type=bind,source=src,target=/mnt/src cat /mnt/src/f > /bound
            RUN --mount=type=bind,source=src,target=/mnt/src sh -c 'touch /mnt/src/ro 2>/dev/null && echo writable || echo read-only' > /ro
            RUN --mount=type=tmpfs,target=/scratch sh -c 'echo x > /scratch/x; grep " /scratch " /proc/mounts | cut -d" " -f3' > /tmpfs
            RUN --mount=type=bind,source=src,target=/mnt/src sh -c 'cat /mnt/src/f; ls /mnt/src' > /after
            """
        let b = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "-q", "-f", "-", "-t", "mounts:1", ctx], stdin: dockerfile)
        #expect(b.status == 0, "\(b.stderr)")
        let out = try r.cnc(["run", "--rm", "mounts:1", "sh", "-c", "cat /bound /ro /tmpfs /after; ls /scratch /mnt/src 2>/dev/null | wc -l"]).stdout
        #expect(out == "orig\nread-only\ntmpfs\norig\nf\n0\n", "\(out)")
        // A bound file's bytes are part of the step's cache key (BuildKit's): the same build
        // again is cached; an edited file (same size, mtime put back) runs the bind steps again.
        let same = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "--progress", "plain", "-f", "-", "-t", "mounts:1", ctx], stdin: dockerfile)
        #expect(same.status == 0 && same.stderr.contains("CACHED"), "\(same.stderr)")
        let mtime = try FileManager.default.attributesOfItem(atPath: ctx + "/src/f")[.modificationDate]
        try "edit\n".write(toFile: ctx + "/src/f", atomically: false, encoding: .utf8)
        if let mtime { try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: ctx + "/src/f") }
        let edited = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "-q", "-f", "-", "-t", "mounts:1", ctx], stdin: dockerfile)
        #expect(edited.status == 0, "\(edited.stderr)")
        let after = try r.cnc(["run", "--rm", "mounts:1", "cat", "/bound", "/after"]).stdout
        #expect(after == "edit\nedit\nf\n", "a bind step stayed cached after its file changed: \(after)")
        // rw: the step writes into a throwaway copy (BuildKit discards an rw bind's writes):
        // it sees its own write; the context and the image get none of it.
        let rw = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "-q", "-f", "-", "-t", "rw:1", ctx],
                              stdin: "FROM bb:1\nRUN --mount=type=bind,source=src,target=/mnt/src,rw sh -c 'echo changed > /mnt/src/f; touch /mnt/src/new; cat /mnt/src/f > /rwseen; ls /mnt/src >> /rwseen'\nRUN --mount=type=bind,source=src/f,target=/one,rw sh -c 'echo x >> /one; cat /one >> /rwseen'\n")
        #expect(rw.status == 0, "\(rw.stderr)")
        let seen = try r.cnc(["run", "--rm", "rw:1", "sh", "-c", "cat /rwseen; ls /mnt 2>/dev/null | wc -l"]).stdout
        #expect(seen == "changed\nf\nnew\nedit\nx\n0\n", "\(seen)")
        #expect(try String(contentsOfFile: ctx + "/src/f", encoding: .utf8) == "edit\n")
        #expect(!FileManager.default.fileExists(atPath: ctx + "/src/new") && !FileManager.default.fileExists(atPath: ctx + "/src/ro"))
        try Self.expectClean(r)
    }

    /// RUN --mount=type=bind,from=STAGE: the stage's files (its layers merged), read-only or
    /// rw into a throwaway copy; never in the image; the stage's content is in the step's cache
    /// key (a changed stage runs the step again).
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func bindMountsFromAStage() throws {
        let r = try BusyboxRoot()
        let ctx = try Self.context(r, "ctx", ["v": "1\n"])
        let dockerfile = """
            FROM bb:1 AS b
            COPY v /out/v
            RUN echo built > /out/x && mkdir /out/d && echo deep > /out/d/y
            FROM bb:1
            RUN --mount=type=bind,from=b,source=/out,target=/in sh -c 'cat /in/v /in/x /in/d/y' > /got
            RUN --mount=type=bind,from=b,source=/out/x,target=/one,rw sh -c 'echo more >> /one; cat /one' >> /got
            """
        let b = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "-q", "-f", "-", "-t", "bf:1", ctx], stdin: dockerfile)
        #expect(b.status == 0, "\(b.stderr)")
        let got = try r.cnc(["run", "--rm", "bf:1", "sh", "-c", "cat /got; ls /in /one 2>/dev/null | wc -l"]).stdout
        #expect(got == "1\nbuilt\ndeep\nbuilt\nmore\n0\n", "\(got)")
        // The stage's bytes change: the bind steps run again.
        try "2\n".write(toFile: ctx + "/v", atomically: false, encoding: .utf8)
        let again = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "-q", "-f", "-", "-t", "bf:1", ctx], stdin: dockerfile)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try r.cnc(["run", "--rm", "bf:1", "head", "-1", "/got"]).stdout == "2\n")
        let missing = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "-q", "-f", "-", ctx],
                                   stdin: "FROM bb:1 AS b\nFROM bb:1\nRUN --mount=type=bind,from=b,source=/nope,target=/in true\n")
        #expect(missing.status == 1 && missing.stderr.hasPrefix("Error: Dockerfile:3: RUN: ") && missing.stderr.contains("/nope"), "\(missing.stderr)")
        try Self.expectClean(r)
    }

    /// Invalid Dockerfiles, each refused with its line before anything runs.
    static let invalid: [(String, String)] = [
        ("FROM bb:1\nFOO bar\n", "Error: Dockerfile:2: FOO: unknown instruction: FOO"),
        ("RUN true\nFROM bb:1\n", "Error: Dockerfile:1: RUN: no build stage in current context"),
        ("FROM bb:1\nCOPY nothing-here /x\n", "Error: Dockerfile:2: COPY: \"/nothing-here\": not found"),
        // An unknown stage is an image reference; a closed port on 127.0.0.1 keeps the pull local.
        ("FROM bb:1\nCOPY --from=127.0.0.1:9/nostage /a /b\n", "Error: Dockerfile:2: COPY: "),
        ("FROM bb:1\nRUN --bogus=1 true\n", "Error: Dockerfile:2: RUN: unknown flag: bogus"),
        ("FROM bb:1\nRUN <<EOF\necho unterminated\n", "Error: Dockerfile:2: "),
        ("FROM bb:1\nCOPY --chown=nosuchuser a /a\n", "Error: Dockerfile:2: COPY: "),
        ("FROM bb:1 AS one\nFROM bb:1 AS one\n", "Error: Dockerfile:2: FROM: duplicate stage name \"one\""),
        ("FROM bb:1\nEXPOSE 80/bogus\n", "Error: Dockerfile:2: EXPOSE: Invalid proto: bogus"),
        ("FROM --platform=linux/s390x bb:1\nRUN true\n", "Error: Dockerfile:1: FROM: not supported yet: --platform=linux/s390x"),
        ("FROM bb:1\nARG P=abc\nEXPOSE $P\n", "Error: Dockerfile:3: EXPOSE: Invalid containerPort: abc"),
    ]

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func invalidDockerfilesNameTheirLine() throws {
        let r = try BusyboxRoot()
        let ctx = try Self.context(r, "ctx", ["a": "a\n"])
        for (dockerfile, expected) in Self.invalid {
            let b = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root, "-q", "-f", "-", "-t", "bad:1", ctx], stdin: dockerfile)
            #expect(b.status == 1, "\(dockerfile)")
            #expect(b.stderr.hasPrefix(expected), "\(dockerfile): \(b.stderr)")
        }
        #expect(try Self.image(r, "inspect", ["bad:1"]).status != 0)
        let missing = try r.cnc(["build", r.dir + "/no-such-dir"])
        #expect(missing.status == 1 && missing.stderr == "Error: unable to prepare context: path \"\(r.dir)/no-such-dir\" not found\n")
        let noFile = try r.cnc(["build", r.dir])
        #expect(noFile.status == 1 && noFile.stderr.contains("failed to read dockerfile"))
        try Self.expectClean(r)
    }
}
