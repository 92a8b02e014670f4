/// One logical line -> a typed `Instruction`: BuildKit's splitCommand, extractBuilderFlags, the
/// per-instruction line parsers (line_parsers.go) and the checks of instructions/parse.go, with
/// their wording.
enum InstructionParser {
    struct Failure: Error { var message: String }

    static func parse(_ line: String, escape: Unicode.Scalar, line number: Int, endLine: Int, comments: [String],
                      path: String) throws(DockerfileError) -> Instruction {
        let (keyword, flagWords, args) = splitCommand(line)
        guard let kind = InstructionKind(rawValue: keyword.lowercased()) else {
            var message = "unknown instruction: \(keyword)"
            if let guess = suggestion(for: keyword) { message += " (did you mean \(guess)?)" }
            throw DockerfileError(file: path, line: number, instruction: keyword.uppercased(), message)
        }
        do {
            return try build(kind: kind, keyword: keyword, flagWords: flagWords, args: args, escape: escape,
                             line: number, endLine: endLine, original: line, comments: comments)
        } catch {
            throw DockerfileError(file: path, line: number, instruction: kind.name, error.message)
        }
    }

    static func build(kind: InstructionKind, keyword: String, flagWords: [String], args: String, escape: Unicode.Scalar,
                      line: Int, endLine: Int, original: String, comments: [String]) throws(Failure) -> Instruction {
        let flags = try FlagSet.parse(flagWords, for: kind)
        var isJSON = false
        let command: Command
        switch kind {
        case .from: command = .from(try from(args, flags: flags))
        case .arg:
            let words = parseWords(args, escape: escape)
            guard !words.isEmpty else { throw Failure(message: "ARG requires at least one argument") }
            command = .arg(words.map { w in
                if let eq = w.firstIndex(of: "=") { return ArgDefinition(name: String(w[..<eq]), defaultValue: String(w[w.index(after: eq)...])) }
                return ArgDefinition(name: w, defaultValue: nil)
            })
        case .env, .label:
            let (pairs, legacy) = try nameValues(args, instruction: kind.name, escape: escape)
            command = kind == .env ? .env(pairs, legacy: legacy) : .label(pairs, legacy: legacy)
        case .expose:
            let ports = whitespaceSplit(args)
            guard !ports.isEmpty else { throw Failure(message: "EXPOSE requires at least one argument") }
            command = .expose(ports)
        case .user, .workdir, .stopsignal, .maintainer:
            guard !args.isEmpty else { throw Failure(message: "\(kind.name) requires exactly one argument") }
            command = kind == .user ? .user(args) : kind == .workdir ? .workdir(args) : kind == .stopsignal ? .stopSignal(args) : .maintainer(args)
        case .volume:
            let (list, json) = try maybeJSONToList(args)
            isJSON = json
            guard !list.isEmpty else { throw Failure(message: "VOLUME requires at least one argument") }
            if list.contains(where: { $0.trimmingSpaces().isEmpty }) { throw Failure(message: "VOLUME specified can not be an empty string") }
            command = .volume(list)
        case .healthcheck:
            command = .healthcheck(try healthcheck(args, flags: flags, isJSON: &isJSON))
        case .shell:
            guard !args.isEmpty else { throw Failure(message: "SHELL requires at least one argument") }
            guard case .exec(let argv) = try maybeJSON(args) else { throw Failure(message: "SHELL requires the arguments to be in JSON form") }
            isJSON = true
            guard !argv.isEmpty else { throw Failure(message: "SHELL requires at least one argument") }
            command = .shell(argv)
        case .onbuild:
            command = .onbuild(try onbuild(args, escape: escape, line: line, endLine: endLine, comments: comments))
        case .cmd, .entrypoint, .run:
            let cl = try maybeJSON(args)
            if case .exec = cl { isJSON = true }
            if kind == .cmd { command = .cmd(cl) } else if kind == .entrypoint { command = .entrypoint(cl) } else {
                guard !args.isEmpty else { throw Failure(message: "RUN requires at least one argument") }
                command = .run(RunSpec(command: cl, mounts: try flags.all("mount").map { m throws(Failure) in try RunMount.parse(m) },
                                       network: try network(flags.string("network")), security: flags.string("security")))
            }
        case .copy, .add:
            let (list, json) = try maybeJSONToList(args)
            isJSON = json
            guard list.count >= 2 else {
                throw Failure(message: "\(kind.name) requires at least two arguments, but only one was provided. Destination could not be determined.")
            }
            if let mode = flags.string("chmod"), !validChmod(mode) { throw Failure(message: "invalid chmod parameter: \(mode)") }
            let spec = CopySpec(sources: Array(list.dropLast()), destination: list[list.count - 1], from: flags.string("from"),
                                chown: flags.string("chown"), chmod: flags.string("chmod"), link: flags.bool("link"),
                                parents: flags.bool("parents"), exclude: flags.all("exclude"), checksum: flags.string("checksum"),
                                keepGitDir: flags.bool("keep-git-dir"))
            command = kind == .copy ? .copy(spec) : .add(spec)
        }
        return Instruction(kind: kind, keyword: keyword, line: line, endLine: endLine, original: original, flags: flags.flags,
                           command: command, heredocs: [], comments: comments, isJSON: isJSON)
    }

    // MARK: instructions with their own rules

    static func from(_ args: String, flags: FlagSet) throws(Failure) -> FromSpec {
        let words = whitespaceSplit(args)
        guard words.count == 1 || words.count == 3 else { throw Failure(message: "FROM requires either one or three arguments") }
        var spec = FromSpec(image: words[0], platform: flags.string("platform"))
        if words.count == 3 {
            guard words[1].lowercased() == "as" else { throw Failure(message: "FROM requires either one or three arguments") }
            let name = words[2].lowercased()
            guard let first = name.unicodeScalars.first, ("a"..."z").contains(first),
                  name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) })
            else { throw Failure(message: "invalid name for build stage: \"\(words[2])\", name can't start with a number or contain symbols") }
            spec.stageName = name
            spec.writtenStageName = words[2]
            spec.asKeyword = words[1]
        }
        return spec
    }

    static func healthcheck(_ args: String, flags: FlagSet, isJSON: inout Bool) throws(Failure) -> HealthcheckSpec? {
        let trimmed = args.trimmingSpaces()
        let typeEnd = trimmed.firstIndex { isGoSpace($0.unicodeScalars.first ?? "a") } ?? trimmed.endIndex
        let type = trimmed[..<typeEnd].uppercased()
        let rest = trimmed[typeEnd...].trimmingSpaces()
        switch type {
        case "NONE":
            guard rest.isEmpty else { throw Failure(message: "HEALTHCHECK NONE takes no arguments") }
            guard flags.flags.isEmpty else { throw Failure(message: "HEALTHCHECK NONE takes no flags") }
            return nil
        case "CMD":
            guard !rest.isEmpty else { throw Failure(message: "Missing command after HEALTHCHECK CMD") }
            let test = try maybeJSON(rest)
            if case .exec = test { isJSON = true }
            var spec = HealthcheckSpec(test: test)
            spec.interval = try healthDuration(flags, "interval")
            spec.timeout = try healthDuration(flags, "timeout")
            spec.startPeriod = try healthDuration(flags, "start-period")
            spec.startInterval = try healthDuration(flags, "start-interval")
            if let r = flags.string("retries") {
                guard let n = Int(r) else { throw Failure(message: "strconv.ParseInt: parsing \"\(r)\": invalid syntax") }
                guard n >= 0 else { throw Failure(message: "--retries cannot be negative (\(n))") }
                spec.retries = n
            }
            return spec
        default:
            throw Failure(message: "Unknown type \"\(type)\" in HEALTHCHECK (try CMD)")
        }
    }

    /// A HEALTHCHECK duration: Go's time.ParseDuration, 0 for "use the default", else at least
    /// 1ms (BuildKit's parseOptInterval and its wording; a negative one is "less than 1ms" too).
    static func healthDuration(_ flags: FlagSet, _ name: String) throws(Failure) -> Int64? {
        guard let text = flags.string(name), !text.isEmpty else { return nil }
        guard let ns = GoDuration.parse(text) else { throw Failure(message: "time: invalid duration \"\(text)\"") }
        if ns == 0 { return nil }
        if ns < 1_000_000 { throw Failure(message: "Interval \"\(name)\" cannot be less than 1ms") }
        return ns
    }

    static func onbuild(_ args: String, escape: Unicode.Scalar, line: Int, endLine: Int, comments: [String]) throws(Failure) -> Instruction {
        guard !args.isEmpty else { throw Failure(message: "ONBUILD requires at least one argument") }
        let (keyword, flagWords, rest) = splitCommand(args)
        switch keyword.uppercased() {
        case "ONBUILD": throw Failure(message: "ONBUILD ONBUILD is not allowed")
        case "FROM", "MAINTAINER": throw Failure(message: "\(keyword.uppercased()) isn't allowed as an ONBUILD trigger")
        default: break
        }
        guard let kind = InstructionKind(rawValue: keyword.lowercased()) else {
            throw Failure(message: "unknown instruction: \(keyword)")
        }
        return try build(kind: kind, keyword: keyword, flagWords: flagWords, args: rest, escape: escape, line: line,
                         endLine: endLine, original: args, comments: [])
    }

    static func network(_ value: String?) throws(Failure) -> RunNetwork? {
        guard let value else { return nil }
        guard let n = RunNetwork(rawValue: value) else { throw Failure(message: "unsupported network mode \"\(value)\"") }
        return n
    }

    /// Octal (`755`, `0644`) or symbolic (`u+x,go-w`) modes, as `COPY --chmod` takes them.
    static func validChmod(_ mode: String) -> Bool {
        if !mode.isEmpty, mode.count <= 4, mode.allSatisfy({ ("0"..."7").contains($0) }) { return true }
        return !mode.isEmpty && mode.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { clause in
            let who = clause.prefix { "ugoa".contains($0) }
            let rest = clause.dropFirst(who.count)
            guard let op = rest.first, "+-=".contains(op) else { return false }
            return rest.dropFirst().allSatisfy { "rwxXst".contains($0) }
        }
    }

    static func suggestion(for keyword: String) -> String? {
        let word = keyword.lowercased()
        let best = InstructionKind.allCases.map { ($0.rawValue, levenshtein(word, $0.rawValue)) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= (word.count >= 4 ? 2 : 1) else { return nil }
        return best.0
    }

    static func levenshtein(_ a: String, _ b: String) -> Int {
        let a = Array(a.prefix(64)), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var prev = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}
