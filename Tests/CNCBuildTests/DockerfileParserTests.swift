@testable import CNCBuild
import Testing

@Suite struct DockerfileParserTests {
    func parse(_ text: String) throws -> Dockerfile { try DockerfileParser.parse(text) }

    func error(_ text: String) -> String {
        do {
            _ = try DockerfileParser.parse(text)
            return "parsed"
        } catch {
            return error.description
        }
    }

    @Test func everyInstruction() throws {
        let df = try parse("""
        ARG BASE=busybox:1.36
        FROM --platform=$BUILDPLATFORM ${BASE} AS Build
        ENV A=1 B="two words"
        ENV LEGACY value with spaces
        LABEL org.opencontainers.image.title="t" k=v
        EXPOSE 80/tcp 53/udp
        USER app:app
        WORKDIR /src
        VOLUME ["/data", "/logs"]
        VOLUME /cache /tmp2
        STOPSIGNAL SIGQUIT
        HEALTHCHECK --interval=5s --timeout=2s --start-period=1s --start-interval=1s --retries=3 CMD ["wget", "-q", "localhost"]
        SHELL ["/bin/sh", "-ec"]
        ONBUILD RUN echo child
        RUN --mount=type=cache,target=/root/.cache --network=none make
        COPY --from=build --chown=1:1 --chmod=0755 --link --parents --exclude=*.md a b /dst/
        ADD --checksum=sha256:abc --keep-git-dir https://example.com/x.tgz /x
        MAINTAINER someone
        CMD ["app"]
        ENTRYPOINT exec app
        """)
        let k = df.instructions.map(\.kind)
        #expect(k == [.arg, .from, .env, .env, .label, .expose, .user, .workdir, .volume, .volume, .stopsignal, .healthcheck,
                      .shell, .onbuild, .run, .copy, .add, .maintainer, .cmd, .entrypoint])
        #expect(df.instructions[1].command == .from(FromSpec(image: "${BASE}", stageName: "build", writtenStageName: "Build",
                                                             asKeyword: "AS", platform: "$BUILDPLATFORM")))
        #expect(df.instructions[2].command == .env([KeyValue(key: "A", value: "1"), KeyValue(key: "B", value: "\"two words\"")], legacy: false))
        #expect(df.instructions[3].command == .env([KeyValue(key: "LEGACY", value: "value with spaces")], legacy: true))
        #expect(df.instructions[8].command == .volume(["/data", "/logs"]) && df.instructions[8].isJSON)
        guard case .healthcheck(let h?) = df.instructions[11].command else { Issue.record("healthcheck"); return }
        #expect(h.interval == 5_000_000_000 && h.timeout == 2_000_000_000 && h.retries == 3 && h.test == .exec(["wget", "-q", "localhost"]))
        guard case .onbuild(let inner) = df.instructions[13].command else { Issue.record("onbuild"); return }
        #expect(inner.kind == .run)
        guard case .run(let run) = df.instructions[14].command else { Issue.record("run"); return }
        #expect(run.mounts.first?.type == .cache && run.mounts.first?.target == "/root/.cache" && run.network == RunNetwork.none)
        #expect(run.command == .shell("make"))
        guard case .copy(let c) = df.instructions[15].command else { Issue.record("copy"); return }
        #expect(c.from == "build" && c.chown == "1:1" && c.chmod == "0755" && c.link && c.parents && c.exclude == ["*.md"])
        #expect(c.sources == ["a", "b"] && c.destination == "/dst/")
        #expect(df.instructions[19].command == .entrypoint(.shell("exec app")))
    }

    @Test func directivesEscapeAndContinuations() throws {
        let df = try parse("""
        # syntax=docker/dockerfile:1
        # escape=`
        # check=skip=JSONArgsRecommended;error=true
        FROM busybox
        RUN echo a `
            # a comment inside
            b `

            c
        RUN echo C:\\path\\
        """)
        #expect(df.escape == "`")
        #expect(df.directives.map(\.name) == ["syntax", "escape", "check"])
        #expect(df.checkDirective.skip == ["JSONArgsRecommended"] && df.checkDirective.error)
        #expect(df.instructions[1].command == .run(RunSpec(command: .shell("echo a     b     c"), mounts: [], network: nil, security: nil)))
        #expect(df.instructions[1].line == 5 && df.instructions[1].endLine == 9)
        #expect(df.instructions[2].line == 10)
        #expect(df.warnings.contains { $0.message.contains("syntax directive") })
        #expect(df.warnings.contains { $0.message.hasPrefix("Empty continuation line found in:") })
    }

    @Test func directiveAfterCommentIsAComment() throws {
        let df = try parse("# hello\n# escape=`\nFROM x\nRUN a \\\n b")
        #expect(df.escape == "\\" && df.directives.isEmpty)
        #expect(df.instructions[1].command == .run(RunSpec(command: .shell("a  b"), mounts: [], network: nil, security: nil)))
    }

    @Test func escapedEscapeIsNoContinuation() throws {
        let df = try parse("FROM x\nRUN echo \\\\\nRUN b")
        #expect(df.instructions.count == 3)
    }

    @Test func heredocs() throws {
        let df = try parse("FROM x\nRUN <<EOF\necho $HOME\nEOF\nRUN <<-'END' cat && cat 3<<\"Q\"\n\t\tone\n\tEND\ntwo\nQ\nCOPY <<F1 <<F2 /etc/\na\nF1\nb\nF2\nRUN echo done\r\n")
        #expect(df.instructions.map(\.kind) == [.from, .run, .run, .copy, .run])
        let h1 = df.instructions[1].heredocs
        #expect(h1 == [Heredoc(name: "EOF", content: "echo $HOME\n", expand: true, chomp: false, fileDescriptor: 0)])
        let h2 = df.instructions[2].heredocs
        #expect(h2.count == 2 && h2[0].chomp && !h2[0].expand && h2[0].body == "one\n" && h2[1].fileDescriptor == 3 && h2[1].content == "two\n")
        #expect(df.instructions[2].line == 5 && df.instructions[2].endLine == 9)
        guard case .copy(let c) = df.instructions[3].command else { Issue.record("copy"); return }
        #expect(c.sources == ["<<F1", "<<F2"] && c.destination == "/etc/")
        #expect(df.instructions[3].heredocs.map(\.content) == ["a\n", "b\n"])
        #expect(df.instructions[4].line == 15)
    }

    @Test func jsonFormRunHasNoHeredoc() throws {
        let df = try parse("FROM x\nRUN [\"cat\", \"<<EOF\"]\nRUN echo")
        #expect(df.instructions.count == 3 && df.instructions[1].heredocs.isEmpty)
    }

    @Test(arguments: [
        ("FROM x\nFROOM y", "Dockerfile:2: FROOM: unknown instruction: FROOM (did you mean from?)"),
        ("RUN echo", "Dockerfile:1: RUN: no build stage in current context"),
        ("FROM x\nRUN <<EOF\nno end", "Dockerfile:2: RUN: unterminated heredoc"),
        ("FROM x\nCOPY --form=a b c", "Dockerfile:2: COPY: unknown flag: form"),
        ("FROM x\nCOPY --from a b", "Dockerfile:2: COPY: missing a value on flag: from"),
        ("FROM x\nCOPY --link=maybe a b", "Dockerfile:2: COPY: expecting boolean value for flag link, not: maybe"),
        ("FROM x\nCOPY --chown=1 --chown=2 a b", "Dockerfile:2: COPY: duplicate flag specified: chown"),
        ("FROM x\nSHELL /bin/sh -c", "Dockerfile:2: SHELL: SHELL requires the arguments to be in JSON form"),
        ("FROM x\nCMD [1, 2]", "Dockerfile:2: CMD: when using JSON array syntax, arrays must be comprised of strings only"),
        ("FROM x\nCOPY onlyone", "Dockerfile:2: COPY: COPY requires at least two arguments, but only one was provided. Destination could not be determined."),
        ("FROM x\nONBUILD ONBUILD RUN a", "Dockerfile:2: ONBUILD: ONBUILD ONBUILD is not allowed"),
        ("FROM x\nONBUILD FROM y", "Dockerfile:2: ONBUILD: FROM isn't allowed as an ONBUILD trigger"),
        ("FROM x\nONBUILD MAINTAINER y", "Dockerfile:2: ONBUILD: MAINTAINER isn't allowed as an ONBUILD trigger"),
        ("FROM x AS 1bad", "Dockerfile:1: FROM: invalid name for build stage: \"1bad\", name can't start with a number or contain symbols"),
        ("FROM x y", "Dockerfile:1: FROM: FROM requires either one or three arguments"),
        ("FROM x\nENV", "Dockerfile:2: ENV: ENV requires at least one argument"),
        ("FROM x\nENV A=1 B", "Dockerfile:2: ENV: Syntax error - can't find = in \"B\". Must be of the form: name=value"),
        ("FROM x\nENV ONLYKEY", "Dockerfile:2: ENV: ENV must have two arguments"),
        ("FROM x\nHEALTHCHECK --interval=1us CMD a", "Dockerfile:2: HEALTHCHECK: Interval \"interval\" cannot be less than 1ms"),
        ("FROM x\nHEALTHCHECK --interval=soon CMD a", "Dockerfile:2: HEALTHCHECK: time: invalid duration \"soon\""),
        ("FROM x\nHEALTHCHECK NONE x", "Dockerfile:2: HEALTHCHECK: HEALTHCHECK NONE takes no arguments"),
        ("FROM x\nHEALTHCHECK WAT x", "Dockerfile:2: HEALTHCHECK: Unknown type \"WAT\" in HEALTHCHECK (try CMD)"),
        ("FROM x\nRUN --mount=type=nfs,target=/x a", "Dockerfile:2: RUN: unsupported mount type \"nfs\""),
        ("FROM x\nRUN --mount=type=cache,foo=1,target=/x a", "Dockerfile:2: RUN: unexpected key 'foo' in 'foo=1'"),
        ("FROM x\nRUN --network=bridge a", "Dockerfile:2: RUN: unsupported network mode \"bridge\""),
        ("FROM x\nCOPY --chmod=999 a b", "Dockerfile:2: COPY: invalid chmod parameter: 999"),
        ("# escape=x\nFROM x", "Dockerfile:1: invalid escape token 'x' does not match ` or \\"),
        ("# escape=`\n# escape=\\\nFROM x", "Dockerfile:2: only one escape parser directive can be used"),
        ("# only a comment\n\n", "Dockerfile:2: file with no instructions"),
        ("FROM x\nRUN --rm a", "Dockerfile:2: RUN: unknown flag: rm"),
        ("FROM x\nUSER", "Dockerfile:2: USER: USER requires exactly one argument"),
    ] as [(String, String)])
    func errorsSayWhereAndWhy(text: String, expected: String) {
        #expect(error(text) == expected)
    }

    @Test func lineAndSizeCaps() {
        #expect(error("FROM x\nRUN " + String(repeating: "a", count: 70_000)).contains("dockerfile line greater than max allowed size of 65535"))
        #expect(throws: DockerfileError.self) { try DockerfileParser.parse([UInt8](repeating: 0x41, count: DockerfileParser.maxFileBytes + 1)) }
    }

    /// Random and hostile inputs: the parser answers (a Dockerfile or a DockerfileError), never crashes or hangs.
    @Test func neverCrashesOnHostileInput() {
        let pieces = ["FROM", "RUN", "COPY", "ONBUILD", "<<", "EOF", "\\", "`", "\n", " ", "\t", "\"", "'", "[", "]", "{", "$", "${", "}",
                      "--", "--mount=", "=", "#", "# escape=`", ",", "AS", "\r\n", "\u{FEFF}", "é", "\0", ":-", "HEALTHCHECK", "CMD", "-"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let n = Int.random(in: 0..<60, using: &rng)
            let text = (0..<n).map { _ in pieces.randomElement(using: &rng) ?? "" }.joined()
            if let df = try? DockerfileParser.parse(text) {
                _ = try? BuildGraph(df).buildLevels()
                _ = Lint.check(df)
            }
        }
        let nested = "FROM x\nCMD " + String(repeating: "[", count: 50_000)
        #expect(error(nested) == "parsed")
        let manyOnbuild = "FROM x\n" + String(repeating: "ONBUILD ", count: 5_000) + "RUN a"
        #expect(error(manyOnbuild).contains("ONBUILD ONBUILD is not allowed"))
    }
}
