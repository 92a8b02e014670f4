@testable import CNCBuild
import CNCOCI
import Testing

@Suite struct BuildGraphTests {
    static let amd64 = Platform(architecture: "amd64", os: "linux")

    func graph(_ text: String, args: [String: String] = [:]) throws -> BuildGraph {
        try BuildGraph(try DockerfileParser.parse(text), arguments: BuildArguments(values: args, targetPlatform: Self.amd64, buildPlatform: Self.amd64))
    }

    static let multi = """
    ARG GO=1.22
    FROM golang:${GO} AS deps
    RUN go mod download
    FROM deps AS build
    COPY --from=assets /a /a
    RUN go build
    FROM busybox AS assets
    RUN make assets
    FROM busybox AS broken
    COPY --from=${UNDEFINED:?no such thing} / /
    FROM scratch AS final
    COPY --from=build /app /app
    RUN --mount=type=bind,from=2,target=/x true
    """

    @Test func stagesDependenciesAndLevels() throws {
        let g = try graph(Self.multi)
        #expect(g.stages.map(\.displayName) == ["deps", "build", "assets", "broken", "final"])
        #expect(g.stages[0].base == "golang:1.22")
        #expect(try g.dependencies(of: 1).map(\.stage) == [0, 2])
        #expect(try g.dependencies(of: 4).map(\.via) == [.copyFrom, .mountFrom])
        // The unused broken stage is never evaluated: the default target builds.
        #expect(try g.buildLevels() == [[0, 2], [1], [4]])
        #expect(try g.buildLevels(target: "assets") == [[2]])
        #expect(throws: DockerfileError.self) { try g.buildLevels(target: "broken") }
        #expect(throws: DockerfileError.self) { try g.targetIndex("nope") }
        do { _ = try g.targetIndex("nope") } catch { #expect(error.description.contains("target stage \"nope\" could not be found")) }
    }

    @Test func buildArgOverridesGlobalDefault() throws {
        #expect(try graph(Self.multi, args: ["GO": "1.23"]).stages[0].base == "golang:1.23")
    }

    @Test func cyclesAndBadReferencesAreErrors() throws {
        let cyc = try graph("FROM x AS a\nCOPY --from=b / /\nFROM x AS b\nCOPY --from=a / /")
        #expect { try cyc.buildLevels(target: "b") } throws: { "\($0)".contains("circular dependency detected on stage") }
        let selfRef = try graph("FROM x AS a\nCOPY --from=a / /")
        #expect { try selfRef.buildLevels() } throws: { "\($0)".contains("Dockerfile:2: COPY: circular dependency detected on stage: a") }
        let index = try graph("FROM x\nCOPY --from=7 / /")
        #expect { try index.buildLevels() } throws: { "\($0)".contains("Dockerfile:2: COPY: invalid from flag value 7") }
        #expect { try graph("FROM x AS a\nFROM y AS A") } throws: { "\($0)" == "Dockerfile:2: FROM: duplicate stage name \"a\"" }
        // A --from name that is no stage is an image, not an edge.
        #expect(try graph("FROM x\nCOPY --from=alpine:3 / /").dependencies(of: 0).isEmpty)
    }

    @Test func scopingFollowsDocker() throws {
        let g = try graph("""
        ARG V=global
        ARG TARGETARCH
        FROM busybox
        ARG V
        ARG TARGETARCH
        ARG LOCAL=${V}-x
        ENV E=$LOCAL F=$E
        ENV V=fromenv
        WORKDIR /w/$V
        RUN echo $V
        ARG NOTGIVEN
        LABEL l=${NOTGIVEN:-d} u=$NOPE
        FROM busybox
        WORKDIR /$V/$LOCAL
        """, args: ["LOCAL": "override"])
        let (steps, scope) = try g.evaluator().evaluate(g.stages[0].instructions)
        #expect(scope.args["V"] == "global" && scope.args["TARGETARCH"] == "amd64" && scope.args["LOCAL"] == "override")
        // ENV pairs of one instruction see the environment from before it.
        #expect(steps[3].command == .env([KeyValue(key: "E", value: "override"), KeyValue(key: "F", value: "")], legacy: false))
        #expect(steps[5].command == .workdir("/w/fromenv"))
        #expect(steps[5].usedArgs.isEmpty)
        // RUN is not substituted; its cache input carries the ARGs of its environment (not V: ENV shadows it).
        #expect(steps[6].command == steps[6].instruction.command)
        #expect(steps[6].usedArgs == ["TARGETARCH": "amd64", "LOCAL": "override"])
        #expect(steps[8].undefined == ["NOPE"])
        // ARGs end with their stage.
        let (second, _) = try g.evaluator().evaluate(g.stages[1].instructions)
        #expect(second[0].command == .workdir("//"))
        // LOCAL is declared only in the first stage, which the default target (the last) does not need.
        #expect(try g.unconsumedBuildArgs() == ["LOCAL"])
        #expect(try graph("FROM x", args: ["UNUSED": "1", "HTTP_PROXY": "p"]).unconsumedBuildArgs() == ["UNUSED"])
    }

    @Test func platformArgsAndProxies() {
        let a = BuildArguments(values: ["https_proxy": "http://p", "X": "1"], targetPlatform: Platform(architecture: "arm64", os: "linux", variant: "v8"),
                               buildPlatform: Self.amd64)
        #expect(a.platformArgs["TARGETPLATFORM"] == "linux/arm64/v8" && a.platformArgs["TARGETVARIANT"] == "v8")
        #expect(a.platformArgs["BUILDARCH"] == "amd64" && a.platformArgs["BUILDOS"] == "linux")
        #expect(a.predefinedRunValues == ["https_proxy": "http://p"])
        #expect(BuildArguments().targetPlatform.os == "linux")
    }

    @Test func stepTextIsTheCacheInput() throws {
        let g = try graph("FROM x\nARG D=/dst\nCOPY --chown=1:1 a b $D\nRUN <<EOF\necho hi\nEOF")
        let (steps, _) = try g.evaluator().evaluate(g.stages[0].instructions)
        #expect(steps[1].text == "COPY --chown=1:1 a b /dst")
        #expect(steps[1].usedArgs == ["D": "/dst"])
        #expect(steps[2].text.hasSuffix("echo hi\nEOF"))
        // Quotes do not group COPY's shell-form words (BuildKit splits on whitespace first).
        let quoted = try graph("FROM x\nCOPY \"b c\" /d")
        #expect { try quoted.evaluator().evaluate(quoted.stages[0].instructions) } throws: {
            "\($0)".hasPrefix("Dockerfile:2: COPY: failed to process \"\\\"b\"")
        }
    }

    @Test func childStageInheritsItsBaseStagesArgs() throws {
        // BuildKit copies the base stage's build args: `FROM base` sees base's ARGs and values.
        let g = try graph("ARG V=global\nFROM x AS base\nARG V\nARG W=w\nFROM base\nRUN echo $V $W\nWORKDIR /$W\nFROM x\nWORKDIR /$W", args: ["V": "cli"])
        let (_, baseScope) = try g.evaluator().evaluate(g.stages[0].instructions)
        let (child, _) = try g.evaluator().evaluate(g.stages[1].instructions, inherited: baseScope)
        #expect(child[0].usedArgs == ["V": "cli", "W": "w"])
        #expect(child[1].command == .workdir("/w") && child[1].undefined.isEmpty)
        // A stage FROM an image starts without them.
        let (other, _) = try g.evaluator().evaluate(g.stages[2].instructions)
        #expect(other[0].command == .workdir("/") && other[0].undefined == ["W"])
    }

    @Test func copyHeredocsAreSubstitutedUnlessQuoted() throws {
        let g = try graph("FROM x\nARG V=1\nCOPY <<EOF <<'RAW' /d/\nv=${V} \"$V\" '$V' $NONE.\nEOF\nv=$V\nRAW\nRUN <<EOF\necho $V\nEOF")
        let (steps, _) = try g.evaluator().evaluate(g.stages[0].instructions)
        // Quotes stay as written (BuildKit's ExpandRaw); an unset variable becomes empty.
        #expect(steps[1].instruction.heredocs.map(\.body) == ["v=1 \"1\" '1' .\n", "v=$V\n"])
        #expect(steps[1].usedArgs == ["V": "1"] && steps[1].undefined == ["NONE"])
        // A RUN's document is left to its shell.
        #expect(steps[2].instruction.heredocs.map(\.body) == ["echo $V\n"])
    }

    @Test func exposeReadsPortSpecsAsDocker() throws {
        #expect(try ExposeSpec.ports("8000-8002") == ["8000/tcp", "8001/tcp", "8002/tcp"])
        #expect(try ExposeSpec.ports("90/UDP") == ["90/udp"])
        #expect(try ExposeSpec.ports("1.2.3.4:8080:80/sctp") == ["80/sctp"])
        #expect { try ExposeSpec.ports("80/bogus") } throws: { "\($0)" == "Invalid proto: bogus" }
        #expect { try ExposeSpec.ports("70000") } throws: { "\($0)" == "Invalid containerPort: 70000" }
        let g = try graph("FROM x\nARG P=abc\nEXPOSE 80 $P")
        #expect { try g.evaluator().evaluate(g.stages[0].instructions) } throws: {
            "\($0)" == "Dockerfile:3: EXPOSE: Invalid containerPort: abc"
        }
    }
}
