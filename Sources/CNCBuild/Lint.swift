/// One lint finding: `PATH:LINE: RuleName: what and how to fix`.
public struct LintFinding: Sendable, Equatable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var rule: String
    public var message: String

    public var description: String { "\(file):\(line): \(rule): \(message)" }
}

/// `cnc build --check`: a pure function from a parsed Dockerfile to findings. BuildKit's build
/// checks keep BuildKit's names and wording (JSONArgsRecommended, UndefinedVar, ...); the course's
/// practices have names of their own (AptGetUpdateAlone, ConsecutiveRun, ...). `# check=skip=...`
/// in the Dockerfile skips rules, as in BuildKit.
public enum Lint {
    /// Every rule this linter knows, BuildKit's first.
    public static let rules: [String] = [
        "JSONArgsRecommended", "UndefinedVar", "UndefinedArgInFrom", "WorkdirRelativePath", "StageNameCasing",
        "MaintainerDeprecated", "MultipleInstructionsDisallowed", "FromAsCasing", "SecretsUsedInArgOrEnv",
        "LegacyKeyValueFormat", "ConsistentInstructionCasing", "ReservedStageName", "NoEmptyContinuation",
        "RedundantTargetPlatform",
        "AptGetUpdateAlone", "ConsecutiveRun", "AptGetInstallWithoutYes", "AptGetInstallRecommends",
        "UnsortedPackages", "AddInsteadOfCopy", "AddURL", "FromWithoutTag", "FromLatestTag",
        "FinalStageRunsAsRoot", "CopyAllBeforeDependencies", "BuildToolchainInFinalStage",
    ]

    public static func check(_ df: Dockerfile, arguments: BuildArguments = BuildArguments(), target: String? = nil) -> [LintFinding] {
        var out = LintCollector(file: df.path, directive: df.checkDirective)
        for w in df.warnings where w.message.hasPrefix("Empty continuation line") {
            out.add(w.line, "NoEmptyContinuation", "Empty continuation line: remove the blank line inside the continuation (it will become an error)")
        }
        checkCasing(df, &out)
        guard let graph = try? BuildGraph(df, arguments: arguments) else { return out.sorted }
        checkFrom(graph, &out)
        var stageScope: [Int: VariableScope] = [:]
        for stage in graph.stages {
            var base = [KeyValue(key: "PATH", value: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")]
            var inherited: VariableScope?
            if let parent = graph.stageIndex(named: stage.base), parent < stage.index, let s = stageScope[parent] {
                base = s.env
                inherited = s
            }
            if let (steps, scope) = try? graph.evaluator().evaluate(stage.instructions, baseEnv: base, inherited: inherited) {
                stageScope[stage.index] = scope
                for step in steps {
                    for name in step.undefined {
                        out.add(step.instruction.line, "UndefinedVar", "Usage of undefined variable '$\(name)': declare it with ARG (or ENV) before this line")
                    }
                }
            }
            checkStage(stage, &out)
        }
        let final = (try? graph.targetIndex(target)) ?? graph.stages.count - 1
        if graph.stages.indices.contains(final) { checkFinalStage(graph, final, &out) }
        return out.sorted
    }

    // MARK: file-wide

    static func checkCasing(_ df: Dockerfile, _ out: inout LintCollector) {
        let keywords = df.instructions.map(\.keyword)
        let lower = keywords.filter { $0 == $0.lowercased() }.count
        let upper = keywords.filter { $0 == $0.uppercased() }.count
        let majorityUpper = upper >= lower
        for inst in df.instructions {
            let k = inst.keyword
            let consistent = majorityUpper ? k == k.uppercased() : k == k.lowercased()
            if !consistent {
                out.add(inst.line, "ConsistentInstructionCasing",
                        "Command '\(k)' should match the case of the command majority (\(majorityUpper ? "uppercase" : "lowercase"))")
            }
            if inst.kind == .maintainer {
                out.add(inst.line, "MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label: use LABEL org.opencontainers.image.authors=\"...\"")
            }
            if case .env(_, true) = inst.command { out.add(inst.line, "LegacyKeyValueFormat", "\"ENV key=value\" should be used instead of legacy \"ENV key value\" format") }
            if case .label(_, true) = inst.command { out.add(inst.line, "LegacyKeyValueFormat", "\"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format") }
            var names: [(String, String)] = []
            if case .arg(let defs) = inst.command { names = defs.map { ("ARG", $0.name) } }
            if case .env(let kvs, _) = inst.command { names = kvs.map { ("ENV", $0.key) } }
            for (kind, name) in names where isSecretName(name) {
                out.add(inst.line, "SecretsUsedInArgOrEnv", "Do not use ARG or ENV instructions for sensitive data (\(kind) \"\(name)\"): pass it with RUN --mount=type=secret")
            }
        }
    }

    /// BuildKit's secret-name heuristic: a word of the name (split on `_`, `-` and case changes)
    /// is a secret token, and the name is not about something public.
    static func isSecretName(_ name: String) -> Bool {
        let secret: Set<String> = ["apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd", "secret", "token"]
        var words: [String] = []
        var cur = ""
        var prevLower = false
        for c in name {
            if c == "_" || c == "-" || c == "." { if !cur.isEmpty { words.append(cur) }; cur = ""; prevLower = false; continue }
            if c.isUppercase, prevLower { words.append(cur); cur = "" }
            cur.append(c)
            prevLower = c.isLowercase
        }
        if !cur.isEmpty { words.append(cur) }
        let lower = words.map { $0.lowercased() }
        return lower.contains { secret.contains($0) } && !lower.contains("public")
    }

    static func checkFrom(_ graph: BuildGraph, _ out: inout LintCollector) {
        let declaredMeta = Set(graph.metaArgs.map(\.name)).union(graph.arguments.platformArgs.keys)
        for stage in graph.stages {
            guard case .from(let spec) = stage.from.command else { continue }
            let line = stage.from.line
            if let written = spec.writtenStageName {
                if written != written.lowercased() { out.add(line, "StageNameCasing", "Stage name '\(written)' should be lowercase") }
                if ["scratch", "context"].contains(written.lowercased()) {
                    out.add(line, "ReservedStageName", "Stage name should not use the same name as reserved stage \"\(written.lowercased())\"")
                }
            }
            if let asKw = spec.asKeyword {
                let fromUpper = stage.from.keyword == stage.from.keyword.uppercased()
                let asUpper = asKw == asKw.uppercased()
                if fromUpper != asUpper { out.add(line, "FromAsCasing", "'\(asKw)' and '\(stage.from.keyword)' keywords' casing do not match") }
            }
            if let p = spec.platform, p == "$TARGETPLATFORM" || p == "${TARGETPLATFORM}" {
                out.add(line, "RedundantTargetPlatform", "Setting platform to predefined \(p) in FROM is redundant as this is the default behavior")
            }
            if let r = try? ShellLexer(escape: graph.dockerfile.escape).process(spec.image, env: graph.meta) {
                for name in r.unmatched.sorted() where !declaredMeta.contains(name) {
                    out.add(line, "UndefinedArgInFrom", "FROM argument '\(name)' is not declared: add ARG \(name)=<default> before the first FROM")
                }
            }
            checkBaseTag(stage, graph, &out)
        }
    }

    static func checkBaseTag(_ stage: BuildStage, _ graph: BuildGraph, _ out: inout LintCollector) {
        let base = stage.base
        guard base.lowercased() != "scratch", graph.stageIndex(named: base).map({ $0 < stage.index }) != true, !base.contains("@") else { return }
        let lastPart = base.split(separator: "/").last ?? Substring(base)
        if let colon = lastPart.lastIndex(of: ":") {
            if lastPart[lastPart.index(after: colon)...] == "latest" {
                out.add(stage.from.line, "FromLatestTag", "FROM \(base) uses the :latest tag, which moves: pin a version tag (or a digest) so rebuilds are reproducible")
            }
        } else {
            out.add(stage.from.line, "FromWithoutTag", "FROM \(base) has no tag, so it means :latest: pin a version tag (or a digest) so rebuilds are reproducible")
        }
    }

    static func checkFinalStage(_ graph: BuildGraph, _ final: Int, _ out: inout LintCollector) {
        // USER is inherited through FROM <stage>: follow the chain of stages.
        var chain: [BuildStage] = []
        var cur: Int? = final
        while let c = cur, !chain.contains(where: { $0.index == c }) {
            chain.append(graph.stages[c])
            cur = graph.stageIndex(named: graph.stages[c].base).flatMap { $0 < c ? $0 : nil }
        }
        var user: String?
        for s in chain.reversed() {
            for inst in s.instructions { if case .user(let u) = inst.command { user = u } }
        }
        let stage = graph.stages[final]
        let root = user.map { u in ["root", "0"].contains(String(u.split(separator: ":").first ?? "")) } ?? true
        if root {
            out.add(stage.from.line, "FinalStageRunsAsRoot",
                    "the final stage (\(stage.displayName)) runs as root: add USER with a non-root user (e.g. USER 65532:65532) after the steps that need root")
        }
        let toolchain: Set<String> = ["gcc", "g++", "clang", "make", "build-essential", "cmake", "golang", "golang-go", "rustc", "cargo", "maven", "gradle", "musl-dev", "libc6-dev", "cc"]
        for inst in stage.instructions {
            guard case .run(let spec) = inst.command, case .shell(let script) = spec.command else { continue }
            for cmd in ShellScan.installs(script) {
                if let tool = cmd.packages.first(where: { toolchain.contains($0) }) {
                    out.add(inst.line, "BuildToolchainInFinalStage",
                            "the final stage installs \(tool): build in a separate stage (FROM ... AS build) and COPY --from=build only the product")
                    return
                }
            }
        }
        if graph.stages.count == 1, let image = stage.base.split(separator: "/").last?.split(separator: ":").first,
           ["golang", "rust", "gcc", "maven", "gradle", "openjdk"].contains(String(image)) {
            out.add(stage.from.line, "BuildToolchainInFinalStage",
                    "the only stage is based on the \(image) toolchain image: build in a separate stage and ship the product FROM a small base (or scratch)")
        }
    }
}

/// Findings in line order, without the rules `# check=skip=` names.
struct LintCollector {
    let file: String
    let directive: CheckDirective
    var findings: [LintFinding] = []

    mutating func add(_ line: Int, _ rule: String, _ message: String) {
        guard !directive.skipAll, !directive.skip.contains(rule) else { return }
        findings.append(LintFinding(file: file, line: line, rule: rule, message: message))
    }

    var sorted: [LintFinding] {
        findings.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
    }
}
