@testable import CNCBuild
import Foundation
import Testing

@Suite struct LintTests {
    /// A stage that follows every practice, around `body`.
    static func good(_ body: String) -> String { "FROM busybox:1.36\n\(body)\nUSER 1000" }

    /// (rule, a Dockerfile that must trigger it, one that must not).
    static let cases: [(String, String, String)] = [
        ("JSONArgsRecommended", good("CMD run app"), good("CMD [\"app\"]")),
        ("UndefinedVar", good("ENV A=$NOPE"), good("ARG NOPE\nENV A=$NOPE PATH=$PATH:/x")),
        ("UndefinedArgInFrom", "FROM busybox:${V}\nUSER 1", "ARG V=1\nFROM busybox:${V}\nUSER 1"),
        ("WorkdirRelativePath", good("WORKDIR app"), good("WORKDIR /app\nWORKDIR sub\nWORKDIR more")),
        ("StageNameCasing", "FROM busybox:1 AS Build\nUSER 1", "FROM busybox:1 AS build\nUSER 1"),
        ("MaintainerDeprecated", good("MAINTAINER me"), good("LABEL org.opencontainers.image.authors=me")),
        ("MultipleInstructionsDisallowed", good("CMD [\"a\"]\nCMD [\"b\"]"), good("CMD [\"b\"]")),
        ("FromAsCasing", "FROM busybox:1 as build\nUSER 1", "FROM busybox:1 AS build\nUSER 1"),
        ("SecretsUsedInArgOrEnv", good("ARG API_TOKEN"), good("ARG PUBLIC_KEY\nARG VERSION")),
        ("LegacyKeyValueFormat", good("ENV A 1"), good("ENV A=1")),
        ("ConsistentInstructionCasing", good("run true"), good("RUN true")),
        ("ReservedStageName", "FROM busybox:1 AS scratch\nUSER 1", "FROM busybox:1 AS base\nUSER 1"),
        ("NoEmptyContinuation", good("RUN a \\\n\n b"), good("RUN a \\\n b")),
        ("RedundantTargetPlatform", "FROM --platform=$TARGETPLATFORM busybox:1\nUSER 1", "FROM --platform=$BUILDPLATFORM busybox:1\nUSER 1"),
        ("AptGetUpdateAlone", good("RUN apt-get update"), good("RUN apt-get update && apt-get install -y --no-install-recommends curl")),
        ("ConsecutiveRun", good("RUN a\nRUN b"), good("RUN a && b\nENV X=1\nRUN c")),
        ("AptGetInstallWithoutYes", good("RUN apt-get update && apt-get install --no-install-recommends curl"),
         good("RUN apt-get update && apt-get install -y --no-install-recommends curl")),
        ("AptGetInstallRecommends", good("RUN apt-get update && apt-get install -y curl"),
         good("RUN apt-get update && apt-get install -y --no-install-recommends curl")),
        ("UnsortedPackages", good("RUN apt-get update && apt-get install -y --no-install-recommends \\\n  zlib1g \\\n  curl"),
         good("RUN apt-get update && apt-get install -y --no-install-recommends \\\n  curl \\\n  zlib1g")),
        ("AddInsteadOfCopy", good("ADD app.py /app/"), good("ADD app.tar.gz /app/\nCOPY app.py /app/")),
        ("AddURL", good("ADD https://example.com/x /x"), good("COPY x /x")),
        ("FromWithoutTag", "FROM busybox\nUSER 1", "FROM busybox:1.36\nUSER 1"),
        ("FromLatestTag", "FROM busybox:latest\nUSER 1", "FROM localhost:5000/busybox@sha256:\(String(repeating: "a", count: 64))\nUSER 1"),
        ("FinalStageRunsAsRoot", "FROM busybox:1.36\nUSER root", "FROM busybox:1.36 AS base\nUSER 1000\nFROM base\nRUN true"),
        ("CopyAllBeforeDependencies", good("COPY . .\nRUN npm ci"), good("COPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .")),
        ("BuildToolchainInFinalStage", good("RUN apk add gcc musl-dev"),
         "FROM alpine:3.20 AS build\nRUN apk add gcc musl-dev\nFROM scratch\nCOPY --from=build /app /app\nUSER 1000"),
    ]

    static func rules(_ text: String) throws -> [String] {
        Lint.check(try DockerfileParser.parse(text)).map(\.rule)
    }

    @Test(arguments: cases.map { $0.0 })
    func rulePositiveAndNegative(rule: String) throws {
        guard let (_, positive, negative) = Self.cases.first(where: { $0.0 == rule }) else { Issue.record("no case"); return }
        #expect(try Self.rules(positive).contains(rule), "\(rule) should fire on:\n\(positive)")
        #expect(try !Self.rules(negative).contains(rule), "\(rule) should not fire on:\n\(negative)")
    }

    @Test func onlyTheFirstWorkdirOfAStageIsChecked() throws {
        // BuildKit: a relative WORKDIR after any WORKDIR is not reported again.
        #expect(try Self.rules(Self.good("WORKDIR app\nWORKDIR sub")).filter { $0 == "WorkdirRelativePath" }.count == 1)
    }

    @Test func everyRuleHasACase() {
        #expect(Set(Lint.rules) == Set(Self.cases.map { $0.0 }))
    }

    @Test func exemplaryDockerfileIsClean() throws {
        let text = """
        # syntax=docker/dockerfile:1
        FROM debian:12 AS build
        RUN apt-get update && apt-get install -y --no-install-recommends \\
            gcc \\
            libc6-dev \\
            && rm -rf /var/lib/apt/lists/*
        WORKDIR /src
        COPY server.c .
        RUN gcc -static -O2 -o /httpserver server.c
        FROM scratch
        COPY --from=build /httpserver /httpserver
        USER 65532:65532
        EXPOSE 8080
        ENTRYPOINT ["/httpserver"]
        """
        #expect(Lint.check(try DockerfileParser.parse(text)).isEmpty)
    }

    @Test func findingFormatSkipDirectiveAndJSON() throws {
        let df = try DockerfileParser.parse("# check=skip=FromWithoutTag\nFROM busybox\nCMD run\nUSER 1", path: "app/Dockerfile")
        let findings = Lint.check(df)
        #expect(findings.map(\.description) == [
            "app/Dockerfile:3: JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals: write CMD [\"executable\", \"arg\"] so the app is PID 1 and receives SIGTERM",
        ])
        let json = String(decoding: try JSONEncoder().encode(findings), as: UTF8.self)
        #expect(json.contains("\"rule\":\"JSONArgsRecommended\"") && json.contains("\"line\":3") && json.contains("\"file\":\"app\\/Dockerfile\""))
        let all = try DockerfileParser.parse("# check=skip=all\nFROM busybox\nCMD run")
        #expect(Lint.check(all).isEmpty)
    }
}
