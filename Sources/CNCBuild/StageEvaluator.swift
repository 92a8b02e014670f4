/// The variables one instruction sees: the stage's ARGs (declared with or without a value) and
/// its ENV (the base image's first, ENV wins over an ARG of the same name, as in Docker).
public struct VariableScope: Sendable, Equatable {
    public private(set) var args: [String: String] = [:]
    public private(set) var declared: Set<String> = []
    /// In order, as the image config lists them.
    public private(set) var env: [KeyValue] = []

    public init(env: [KeyValue] = []) {
        for kv in env { setEnv(kv.key, kv.value) }
    }

    public mutating func setEnv(_ key: String, _ value: String) {
        if let i = env.firstIndex(where: { $0.key == key }) { env[i].value = value } else { env.append(KeyValue(key: key, value: value)) }
    }

    public mutating func declare(_ name: String, value: String?) {
        declared.insert(name)
        if let value { args[name] = value } else { args.removeValue(forKey: name) }
    }

    /// Takes over another stage's ARGs: a stage `FROM` an earlier stage sees the ARGs that stage
    /// declared, with their values (BuildKit copies the base stage's build args).
    public mutating func inherit(_ other: VariableScope) {
        declared.formUnion(other.declared)
        for (k, v) in other.args where args[k] == nil { args[k] = v }
    }

    /// What `$NAME` resolves against.
    public var substitution: [String: String] {
        var out = args
        for kv in env { out[kv.key] = kv.value }
        return out
    }

    /// The ARG values a RUN gets in its environment (and its cache key): those no ENV shadows.
    public var runArgs: [String: String] {
        let envKeys = Set(env.map(\.key))
        return args.filter { !envKeys.contains($0.key) }
    }
}

/// One instruction after substitution: what the builder runs, what its cache key hashes.
public struct ResolvedStep: Sendable, Equatable {
    public var instruction: Instruction
    /// The command with its words substituted where Docker substitutes (ADD COPY ENV EXPOSE FROM
    /// LABEL STOPSIGNAL USER VOLUME WORKDIR, ARG defaults, RUN --mount values; never RUN, CMD,
    /// ENTRYPOINT, SHELL, HEALTHCHECK or ONBUILD).
    public var command: Command
    /// The instruction as text after substitution (history's `created_by`, the cache key's input).
    public var text: String
    /// The build args it uses: the ARGs its words read, or for RUN every ARG in its environment.
    public var usedArgs: [String: String]
    /// Variables read but neither declared by an ARG nor set by an ENV (lint: UndefinedVar).
    public var undefined: [String]
}

/// Walks one stage's instructions with Docker's scoping: ARGs are visible from their
/// declaration to the end of the stage, an `ARG NAME` without a default inherits a global ARG's
/// value, `--build-arg` overrides a declared ARG, ENV pairs of one instruction all see the
/// environment from before it.
public struct StageEvaluator {
    public let path: String
    public let escape: Unicode.Scalar
    public let arguments: BuildArguments
    /// The global scope: ARGs before the first FROM plus the automatic platform args.
    public let meta: [String: String]

    public init(path: String, escape: Unicode.Scalar, arguments: BuildArguments, meta: [String: String]) {
        self.path = path
        self.escape = escape
        self.arguments = arguments
        self.meta = meta
    }

    /// `inherited`: the final scope of the earlier stage this one is `FROM`, if any.
    public func evaluate(_ instructions: [Instruction], baseEnv: [KeyValue] = [], inherited: VariableScope? = nil) throws(DockerfileError) -> (steps: [ResolvedStep], scope: VariableScope) {
        var scope = VariableScope(env: baseEnv)
        if let inherited { scope.inherit(inherited) }
        var steps: [ResolvedStep] = []
        for inst in instructions {
            steps.append(try resolve(inst, scope: &scope))
        }
        return (steps, scope)
    }

    func resolve(_ inst: Instruction, scope: inout VariableScope) throws(DockerfileError) -> ResolvedStep {
        var lexer = ShellLexer(escape: escape)
        lexer.skipUnsetEnv = false
        let env = scope.substitution
        var matched: Set<String> = []
        var unmatched: Set<String> = []
        func lex(_ w: String) throws(DockerfileError) -> ShellLexer.Result {
            do {
                let r = try lexer.process(w, env: env)
                matched.formUnion(r.matched)
                unmatched.formUnion(r.unmatched)
                return r
            } catch {
                throw DockerfileError(file: path, line: inst.line, instruction: inst.kind.name, error.message)
            }
        }
        func word(_ w: String) throws(DockerfileError) -> String { try lex(w).value }
        func words(_ w: String) throws(DockerfileError) -> [String] { try lex(w).words }
        var command = inst.command
        var runArgs: [String: String]?
        // What the history shows when it is not the command itself.
        var shown: Command?
        switch inst.command {
        case .arg(let defs):
            var resolved: [ArgDefinition] = []
            var defaults: [ArgDefinition] = []
            for def in defs {
                var value = try def.defaultValue.map { (d: String) throws(DockerfileError) in try word(d) }
                // History: the Dockerfile's default (substituted), never a --build-arg's value.
                defaults.append(ArgDefinition(name: def.name, defaultValue: value))
                if let b = arguments.values[def.name] { value = b } else if value == nil, let m = meta[def.name] { value = m }
                scope.declare(def.name, value: value)
                resolved.append(ArgDefinition(name: def.name, defaultValue: value))
            }
            command = .arg(resolved)
            shown = .arg(defaults)
        case .env(let pairs, let legacy):
            var out: [KeyValue] = []
            for kv in pairs { out.append(KeyValue(key: try word(kv.key), value: try word(kv.value))) }
            for kv in out { scope.setEnv(kv.key, kv.value) }
            command = .env(out, legacy: legacy)
        case .label(let pairs, let legacy):
            var out: [KeyValue] = []
            for kv in pairs { out.append(KeyValue(key: try word(kv.key), value: try word(kv.value))) }
            command = .label(out, legacy: legacy)
        case .expose(let ports):
            var out: [String] = []
            for p in ports { out += try words(p) }
            for p in out {
                do { _ = try ExposeSpec.ports(p) } catch {
                    throw DockerfileError(file: path, line: inst.line, instruction: inst.kind.name, error.message)
                }
            }
            command = .expose(out)
        case .user(let u): command = .user(try word(u))
        case .workdir(let w): command = .workdir(try word(w))
        case .stopSignal(let s): command = .stopSignal(try word(s))
        case .volume(let list):
            var out: [String] = []
            for v in list { out.append(try word(v)) }
            command = .volume(out)
        case .copy(let spec): command = .copy(try resolveCopy(spec, word))
        case .add(let spec): command = .add(try resolveCopy(spec, word))
        default: break
        }
        // COPY/ADD heredocs with an unquoted delimiter are substituted at build time, quotes kept
        // (BuildKit's ExpandRaw); a RUN's heredocs are left to its shell.
        var inst = inst
        if inst.kind == .copy || inst.kind == .add {
            var raw = ShellLexer(escape: escape)
            raw.skipProcessQuotes = true
            for i in inst.heredocs.indices where inst.heredocs[i].expand {
                do {
                    let r = try raw.process(inst.heredocs[i].body, env: env)
                    matched.formUnion(r.matched)
                    unmatched.formUnion(r.unmatched)
                    inst.heredocs[i].content = r.value
                    inst.heredocs[i].chomp = false
                } catch {
                    throw DockerfileError(file: path, line: inst.line, instruction: inst.kind.name, error.message)
                }
            }
        }
        switch inst.command {
        case .run(var spec):
            for i in spec.mounts.indices {
                spec.mounts[i].target = try spec.mounts[i].target.map { (v: String) throws(DockerfileError) in try word(v) }
                spec.mounts[i].source = try spec.mounts[i].source.map { (v: String) throws(DockerfileError) in try word(v) }
                spec.mounts[i].from = try spec.mounts[i].from.map { (v: String) throws(DockerfileError) in try word(v) }
                spec.mounts[i].id = try spec.mounts[i].id.map { (v: String) throws(DockerfileError) in try word(v) }
            }
            command = .run(spec)
            runArgs = scope.runArgs
        default: break
        }
        let argNames = scope.declared
        let envKeys = Set(scope.env.map(\.key))
        let used = runArgs ?? Dictionary(uniqueKeysWithValues: matched.filter { scope.args[$0] != nil && !envKeys.contains($0) }.map { ($0, scope.args[$0] ?? "") })
        let undefined = unmatched.subtracting(argNames).subtracting(envKeys).sorted()
        return ResolvedStep(instruction: inst, command: command, text: StepText.render(inst, shown ?? command), usedArgs: used, undefined: undefined)
    }

    private func resolveCopy(_ spec: CopySpec, _ word: (String) throws(DockerfileError) -> String) throws(DockerfileError) -> CopySpec {
        var s = spec
        s.sources = []
        for src in spec.sources { s.sources.append(src.hasPrefix("<<") ? src : try word(src)) }
        s.destination = try word(spec.destination)
        s.from = try spec.from.map { (v: String) throws(DockerfileError) in try word(v) }
        s.chown = try spec.chown.map { (v: String) throws(DockerfileError) in try word(v) }
        s.chmod = try spec.chmod.map { (v: String) throws(DockerfileError) in try word(v) }
        s.checksum = try spec.checksum.map { (v: String) throws(DockerfileError) in try word(v) }
        s.exclude = []
        for e in spec.exclude { s.exclude.append(try word(e)) }
        return s
    }
}
