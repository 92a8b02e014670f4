/// One `FROM ... [AS name]` and the instructions up to the next FROM.
public struct BuildStage: Sendable, Equatable {
    public var index: Int
    /// Lowercased; nil for an unnamed stage.
    public var name: String?
    public var from: Instruction
    /// The base after substitution with the global scope: an image reference, `scratch`, or an earlier stage's name.
    public var base: String
    public var platform: String?
    public var instructions: [Instruction]

    /// How errors and progress lines name it (`build`, or `stage-2` as BuildKit names an unnamed one).
    public var displayName: String { name ?? "stage-\(index)" }
}

/// Why one stage needs another.
public struct StageDependency: Sendable, Equatable {
    public enum Via: String, Sendable { case base, copyFrom, mountFrom }
    public var stage: Int
    public var via: Via
    public var line: Int
}

/// The stages of a Dockerfile and the edges between them: `FROM <stage>` (an earlier stage by
/// name), `COPY --from=<stage|index>` and `RUN --mount=from=<stage|index>` (any stage: a name that
/// is no stage is an image). Substitution uses the global scope for FROM and each stage's own
/// ARG/ENV scope for `--from`, so a stage that is not needed may be broken without failing the build.
public struct BuildGraph: Sendable {
    public var dockerfile: Dockerfile
    public var arguments: BuildArguments
    /// The global scope after `ARG`s before the first FROM (with the automatic platform args).
    public var meta: [String: String]
    /// The global ARGs in order, after substitution.
    public var metaArgs: [ArgDefinition]
    public var stages: [BuildStage]

    public init(_ dockerfile: Dockerfile, arguments: BuildArguments = BuildArguments()) throws(DockerfileError) {
        self.dockerfile = dockerfile
        self.arguments = arguments
        let path = dockerfile.path
        var meta = arguments.platformArgs
        var metaArgs: [ArgDefinition] = []
        var stages: [BuildStage] = []
        var lexer = ShellLexer(escape: dockerfile.escape)
        lexer.skipUnsetEnv = false
        for inst in dockerfile.instructions {
            switch inst.command {
            case .from(let spec):
                func sub(_ w: String) throws(DockerfileError) -> String {
                    do { return try lexer.word(w, env: meta) } catch {
                        throw DockerfileError(file: path, line: inst.line, instruction: "FROM", error.message)
                    }
                }
                let base = try sub(spec.image)
                guard !base.isEmpty else {
                    throw DockerfileError(file: path, line: inst.line, instruction: "FROM",
                                          "base name (\(spec.image)) should not be blank")
                }
                if let name = spec.stageName, stages.contains(where: { $0.name == name }) {
                    throw DockerfileError(file: path, line: inst.line, instruction: "FROM", "duplicate stage name \"\(name)\"")
                }
                let platform = try spec.platform.map { (p: String) throws(DockerfileError) in try sub(p) }
                stages.append(BuildStage(index: stages.count, name: spec.stageName, from: inst, base: base, platform: platform, instructions: []))
            case .arg(let defs) where stages.isEmpty:
                for def in defs {
                    var value: String?
                    if let d = def.defaultValue {
                        do { value = try lexer.word(d, env: meta) } catch {
                            throw DockerfileError(file: path, line: inst.line, instruction: "ARG", error.message)
                        }
                    }
                    if let b = arguments.values[def.name] { value = b }
                    if let value { meta[def.name] = value } else if arguments.platformArgs[def.name] == nil { meta.removeValue(forKey: def.name) }
                    metaArgs.append(ArgDefinition(name: def.name, defaultValue: value))
                }
            default:
                guard !stages.isEmpty else {
                    throw DockerfileError(file: path, line: inst.line, instruction: inst.kind.name, "no build stage in current context")
                }
                stages[stages.count - 1].instructions.append(inst)
            }
        }
        self.meta = meta
        self.metaArgs = metaArgs
        self.stages = stages
    }

    public func stageIndex(named name: String) -> Int? {
        let lower = name.lowercased()
        return stages.firstIndex { $0.name == lower }
    }

    /// The stage `--target` names (the last one without it), or Docker's error.
    public func targetIndex(_ target: String?) throws(DockerfileError) -> Int {
        guard let target, !target.isEmpty else { return stages.count - 1 }
        guard let i = stageIndex(named: target) else {
            throw DockerfileError(file: dockerfile.path, line: 1, "target stage \"\(target)\" could not be found")
        }
        return i
    }

    public func evaluator() -> StageEvaluator {
        StageEvaluator(path: dockerfile.path, escape: dockerfile.escape, arguments: arguments, meta: meta)
    }

    /// The stages `stage` needs directly. A `--from` is substituted with the stage's own scope, so
    /// this can fail for a broken stage — only when that stage is needed.
    public func dependencies(of stage: Int) throws(DockerfileError) -> [StageDependency] {
        let s = stages[stage]
        var deps: [StageDependency] = []
        if let base = stageIndex(named: s.base), base < stage {
            deps.append(StageDependency(stage: base, via: .base, line: s.from.line))
        }
        let (steps, _) = try evaluator().evaluate(s.instructions)
        for step in steps {
            var refs: [(String, StageDependency.Via)] = []
            switch step.command {
            case .copy(let c): if let f = c.from { refs.append((f, .copyFrom)) }
            case .run(let r): refs += r.mounts.compactMap { m in m.from.map { ($0, .mountFrom) } }
            default: break
            }
            for (ref, via) in refs {
                guard let target = try resolveReference(ref, line: step.instruction.line, kind: step.instruction.kind) else { continue }
                if target == stage {
                    throw DockerfileError(file: dockerfile.path, line: step.instruction.line, instruction: step.instruction.kind.name,
                                          "circular dependency detected on stage: \(s.displayName)")
                }
                deps.append(StageDependency(stage: target, via: via, line: step.instruction.line))
            }
        }
        return deps
    }

    /// A `--from` value: a stage index, a stage name, or nil for an image reference.
    func resolveReference(_ ref: String, line: Int, kind: InstructionKind) throws(DockerfileError) -> Int? {
        if !ref.isEmpty, ref.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let i = Int(ref), i < stages.count else {
                throw DockerfileError(file: dockerfile.path, line: line, instruction: kind.name,
                                      "invalid from flag value \(ref): stage index out of bounds (the Dockerfile has \(stages.count) stages)")
            }
            return i
        }
        return stageIndex(named: ref)
    }

    /// The stages a build of `target` needs, in an order that builds each after what it needs,
    /// grouped in levels: the stages of one level depend on none of each other (they may build
    /// in parallel). A cycle through `--from` is an error.
    public func buildLevels(target: String? = nil) throws(DockerfileError) -> [[Int]] {
        let root = try targetIndex(target)
        var deps: [Int: [Int]] = [:]
        var pending = [root]
        while let s = pending.popLast() {
            guard deps[s] == nil else { continue }
            let d = Array(Set(try dependencies(of: s).map(\.stage))).sorted()
            deps[s] = d
            pending += d
        }
        // Kahn's algorithm, level by level (iterative: a hostile file with thousands of stages
        // cannot exhaust the stack).
        var remaining = deps
        var levels: [[Int]] = []
        while !remaining.isEmpty {
            let ready = remaining.filter { entry in entry.value.allSatisfy { remaining[$0] == nil } }.map(\.key).sorted()
            guard let first = remaining.keys.sorted().first, !ready.isEmpty else {
                let s = remaining.keys.sorted().first ?? root
                throw DockerfileError(file: dockerfile.path, line: stages[s].from.line, instruction: "FROM",
                                      "circular dependency detected on stage: \(stages[s].displayName)")
            }
            _ = first
            for s in ready { remaining.removeValue(forKey: s) }
            levels.append(ready)
        }
        return levels
    }

    /// `--build-arg`s no ARG of the needed stages (nor the global scope) declares: Docker warns
    /// "One or more build-args [A B] were not consumed".
    public func unconsumedBuildArgs(target: String? = nil) throws(DockerfileError) -> [String] {
        var declared = Set(metaArgs.map(\.name))
        for s in try buildLevels(target: target).joined() {
            for inst in stages[s].instructions {
                if case .arg(let defs) = inst.command { declared.formUnion(defs.map(\.name)) }
            }
        }
        return arguments.values.keys.filter { !declared.contains($0) && !BuildArguments.proxyNames.contains($0) && $0 != "SOURCE_DATE_EPOCH" }.sorted()
    }
}
