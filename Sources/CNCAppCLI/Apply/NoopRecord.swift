import CNCCore
import CNCRuntime
import CNCSpec
import CNCSystem
import Crypto

/// The no-op apply's shortcut, as BuildResultRecord is a no-change rebuild's: a full plain apply
/// (`cncapply [apply] -f ...`, ApplyFastPath's form) whose plan was empty writes, under
/// `<root>/apply-noop/<name>` (name: a digest of the uid, working directory and arguments), the
/// signature of everything that run's decision read and what it printed. The next plain apply
/// with the same arguments checks it first, under the root lock; when every line still holds it
/// prints the recorded output and exits 0 without compiling the spec, opening the engine or
/// planning. Any difference, a missing or garbled record, or a record of another format means the
/// full path, which writes the record again (or removes it). One line per input, re-evaluated
/// by `evaluate` at check time exactly as at record time:
///   - `X` the executable (/proc/self/exe's target and its stat), `B` the boot id, `E` a digest of
///     the whole environment (every variable interpolation or COMPOSE_*/CNC_* may read) but
///     CNC_TRACE and the volatile variables no file the spec read names (OLDPWD, SHLVL,
///     hyperfine's random one), `T` whether stdout/stderr are terminals;
///   - `S path` the (dev, ino, mode, size, mtime, ctime) of a file or directory, or its absence:
///     every path the spec loader read or looked for (SpecLoader.filesLookedAt: spec files,
///     includes, extends, .env, env_file...), the config/secret files, the default spec names in
///     the working directory; in the root: state.db and its WAL, the image index,
///     cgroup-driver, network definitions, names, the containers directories and each container's
///     cnc.json and state.json, the volumes directory and its entries;
///   - `P pid` each active container's monitor: its /proc start time, not a zombie;
///   - `R path` each active container's freezer file content (`cnc pause` writes no state file).
/// A record is written only when no stat'ed entry changed within FileDigestMemo's racy window
/// before the run's start (or since), so a change made while the run read it is never missed.
/// Not recorded at all: builds, sealed values, external volumes, spec warnings, rootless, -o json.
enum NoopRecord {
    static let header = "cnc-noop-record 1"
    static let racyWindow: Int64 = 2_000_000_000

    static func directory(_ root: String) -> String { root + "/apply-noop" }

    /// The record's file for these arguments run by this user in this directory.
    static func path(root: String, args: [String]) -> String {
        var h = SHA256()
        feed(&h, "\(header)\0\(Host.effectiveUserID)\0\(Host.realUserID)\0\(workingDirectory())\0")
        for a in args { feed(&h, a + "\0") }
        return directory(root) + "/" + hex(h.finalize()).prefix(32)
    }

    // MARK: check

    /// Prints the recorded output and returns true when the record for `args` holds; false (nothing
    /// printed) when the full apply must run.
    static func replay(root: String, args: [String]) throws -> Bool {
        guard Host.effectiveUserID == 0, !Rootless.isActive,
              let bytes = try? FileSystem.readBytes(path(root: root, args: args)) else { return false }
        Trace.mark("noop record: read")
        guard let (lines, output) = parse(bytes) else { return false }
        // As the full path would: wait for an apply that holds the root, then look.
        let lock = try RootLock(root: root, wait: true)
        defer { lock.close() }
        // The process-wide inputs must be there, whatever else the record lists.
        guard Set(lines.compactMap { $0.first }).isSuperset(of: ["X", "B", "E", "T"]) else { return false }
        for line in lines {
            guard let tab = line.firstIndex(of: "\t") else { return false }
            let kind = line[..<tab], rest = line[line.index(after: tab)...]
            // S/M/P/R/E: "arg\tvalue"; X/B/T: "value".
            if kind == "S" || kind == "M" || kind == "P" || kind == "R" || kind == "E" {
                guard let t2 = rest.firstIndex(of: "\t"), evaluate(String(kind), String(rest[..<t2])) == String(rest[rest.index(after: t2)...]) else { return false }
            } else {
                guard evaluate(String(kind), "") == String(rest) else { return false }
            }
        }
        Trace.mark("noop record: holds")
        if !output.isEmpty { ProgressView(live: TerminalInfo.isTerminal(1)).note(output) }
        return true
    }

    /// The record's lines and output; nil when it is not a record of this format or its
    /// checksum (the second line: sha256 of everything after it) does not match.
    static func parse(_ bytes: [UInt8]) -> (lines: [String], output: String)? {
        let newline = UInt8(ascii: "\n")
        guard let end1 = bytes.firstIndex(of: newline), String(decoding: bytes[..<end1], as: UTF8.self) == header,
              let end2 = bytes[(end1 + 1)...].firstIndex(of: newline),
              String(decoding: bytes[(end1 + 1)..<end2], as: UTF8.self) == "C\t" + checksum(bytes[(end2 + 1)...]) else { return nil }
        var lines: [String] = []
        var at = end2 + 1
        while let nl = bytes[at...].firstIndex(of: newline) {
            let line = String(decoding: bytes[at..<nl], as: UTF8.self)
            at = nl + 1
            if line.hasPrefix("O\t") {
                guard let count = Int(line.dropFirst(2)), bytes.count - at == count else { return nil }
                return (lines, String(decoding: bytes[at...], as: UTF8.self))
            }
            lines.append(line)
        }
        return nil
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> String {
        var h = SHA256()
        bytes.withUnsafeBytes { h.update(bufferPointer: $0) }
        return hex(h.finalize())
    }

    /// The current value of one input line (see the type's comment).
    static func evaluate(_ kind: String, _ arg: String) -> String {
        switch kind {
        case "S": return statSignature(arg)
        case "M": return FileSystem.statSignature(arg, changeTime: false) ?? "-"
        case "P":
            guard let pid = Int32(arg), let s = Processes.stat(pid), s.state != UInt8(ascii: "Z"), let t = s.startTicks else { return "-" }
            return String(t)
        case "R": return (try? FileSystem.readBytes(arg)).map { trimmed($0) } ?? "-"
        case "X":
            let exe = FileSystem.readLink("/proc/self/exe") ?? ""
            return exe + " " + statSignature("/proc/self/exe")
        case "B": return (try? FileSystem.readBytes("/proc/sys/kernel/random/boot_id")).map { trimmed($0) } ?? "-"
        case "E": return environmentDigest(excluding: Set(arg.split(separator: ",").map(String.init)))
        case "T": return "\(TerminalInfo.isTerminal(1)) \(TerminalInfo.isTerminal(2))"
        default: return "?"
        }
    }

    static func trimmed(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.filter { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: " ") }, as: UTF8.self)
    }

    static func statSignature(_ path: String) -> String { FileSystem.statSignature(path) ?? "-" }

    /// A digest of the environment but the variables named in `excluded`.
    static func environmentDigest(excluding excluded: Set<String>) -> String {
        var h = SHA256()
        for v in Host.environmentList().sorted() {
            let name = v.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? v
            if !excluded.contains(name) { feed(&h, v + "\0") }
        }
        return hex(h.finalize())
    }

    /// Variables a shell or a benchmark changes between runs (hyperfine sets one to a random
    /// length at each), left out of the environment's digest unless a file the spec read names
    /// them. CNC_TRACE only adds trace lines to stderr: always left out.
    static let volatileVariables = ["OLDPWD", "SHLVL", "HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET"]

    /// The variables the record's digest leaves out: CNC_TRACE, and each volatile one that no
    /// file in `read` mentions (the files' stat lines hold their content as it was checked).
    static func excludedVariables(read: Set<String>) -> [String] {
        var mentioned: Set<String> = []
        for f in read {
            guard let bytes = try? FileSystem.readBytes(f) else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            for v in volatileVariables where text.contains(v) { mentioned.insert(v) }
        }
        return ["CNC_TRACE"] + volatileVariables.filter { !mentioned.contains($0) }
    }

    static func workingDirectory() -> String { (try? FileSystem.currentDirectory()) ?? "" }

    static func feed(_ h: inout SHA256, _ s: String) {
        var s = s
        s.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }

    static func hex(_ d: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in d { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: record

    /// What a full no-op read, gathered after it ran.
    struct Inputs {
        var files: [String] = []
        var procs: [Int32] = []
        var reads: [String] = []
        /// The environment variables left out of its digest.
        var excludedVariables: [String] = []
        /// Files compared by (dev, ino, mode, size, mtime) only.
        var contentOnly: [String] = []
    }

    /// The inputs of an apply of `loaded` on `runtime`'s root, nil when this apply may not be
    /// recorded (see the type's comment).
    static func inputs(_ loaded: LoadedSpec, specFiles: [String], runtime: Runtime, stateRoot: String) -> Inputs? {
        let app = loaded.app
        guard loaded.warnings.isEmpty, app.sealedFiles.isEmpty, !Rootless.isActive, Host.effectiveUserID == 0 else { return nil }
        for (name, s) in app.services {
            // A build runs and `pull_policy: always` pulls at every apply: never a shortcut.
            guard s.build == nil, s.pullPolicy != .always, s.pullPolicy != .build, s.sealedEnvironment.isEmpty,
                  app.builtImageName(service: name) == nil else { return nil }
        }
        // External objects are looked up on the host at every apply.
        guard !app.volumes.values.contains(where: \.external), !app.networks.values.contains(where: \.external),
              !app.configs.values.contains(where: \.external), !app.secrets.values.contains(where: \.external) else { return nil }
        let cwd = workingDirectory()
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : cwd + "/" + p }
        var read = Set(specFiles.map(absolute))
        let named = loaded.sourceMap.files
        // A spec read from stdin has no file to stat.
        guard !named.contains("-"), !named.contains("<stdin>") else { return nil }
        read.formUnion(named.filter { !$0.isEmpty }.map(absolute))
        read.formUnion(loaded.envFiles.map(absolute))
        read.formUnion(SpecLoader.filesLookedAt.map(absolute))
        read.insert(loaded.projectDirectory + "/.env")
        read.insert(loaded.projectDirectory + "/.env.enc")
        for (_, c) in app.configs { if let f = c.file { read.insert(absolute(f)) } }
        for (_, c) in app.secrets { if let f = c.file { read.insert(absolute(f)) } }
        // Without -f the working directory's spec is looked for by these names.
        for name in SpecLoader.defaultFileNames { read.insert(cwd + "/" + name) }
        var inputs = Inputs()
        var files = read
        inputs.excludedVariables = excludedVariables(read: read)
        // The root: what observe, the image resolution and the engine's set-up read.
        let store = runtime.store
        // The WAL by its mtime: SQLite sets its owner again at every open (a new ctime).
        inputs.contentOnly = [stateRoot + "/state.db-wal"]
        files.formUnion([stateRoot + "/state.db", stateRoot + "/images/index.json",
                         stateRoot + "/cgroup-driver", stateRoot + "/networks/defs", store.namesDir, store.containersDir, store.volumesDir])
        for dir in [store.ephemeralDir, store.ephemeralNamesDir].compactMap({ $0 }) { files.insert(dir) }
        for name in (try? FileSystem.listDirectory(stateRoot + "/networks/defs")) ?? [] { files.insert(stateRoot + "/networks/defs/" + name) }
        for name in (try? FileSystem.listDirectory(store.volumesDir)) ?? [] {
            let v = store.volumesDir + "/" + name
            files.insert(v)
            for f in (try? FileSystem.listDirectory(v)) ?? [] where !FileSystem.isDirectory(v + "/" + f) { files.insert(v + "/" + f) }
        }
        for id in store.ids() {
            let dir = store.directory(id)
            // A half-made container (the sweep's business) means the full path.
            guard FileSystem.exists(dir + "/cnc.json") else { return nil }
            files.formUnion([dir, dir + "/cnc.json", dir + "/state.json"])
        }
        for c in runtime.summaries() where c.state.isActive {
            guard c.state.monitorPid > 0 else { return nil }
            inputs.procs.append(c.state.monitorPid)
            let freezer = ["/sys/fs/cgroup/freezer/\(c.cgroupPath)/freezer.state", "/sys/fs/cgroup/\(c.cgroupPath)/cgroup.freeze",
                           "/sys/fs/cgroup/unified/\(c.cgroupPath)/cgroup.freeze"].filter(FileSystem.exists)
            guard !freezer.isEmpty else { return nil }
            inputs.reads += freezer
        }
        // The record's lines are tab-separated.
        guard !(Array(files) + inputs.reads).contains(where: { $0.contains("\n") || $0.contains("\t") }) else { return nil }
        inputs.files = files.sorted()
        return inputs
    }

    /// Writes the record of a plain no-op apply that started at `start` (wall-clock nanoseconds)
    /// and printed `output`; removes a stale one when `inputs` is nil or some input changed too
    /// recently to be trusted.
    static func save(root: String, args: [String], inputs: Inputs?, output: String, start: Int64) {
        let file = path(root: root, args: args)
        guard let inputs else { try? FileSystem.remove(file); return }
        var lines: [String] = []
        for k in ["X", "B", "T"] { lines.append(k + "\t" + evaluate(k, "")) }
        let excluded = inputs.excludedVariables.joined(separator: ",")
        lines.append("E\t\(excluded)\t\(evaluate("E", excluded))")
        for f in inputs.files {
            if let c = FileSystem.changeTimeNanos(f), c >= start - racyWindow {
                Trace.mark("noop record: \(f) changed within the racy window, not recorded")
                try? FileSystem.remove(file)
                return
            }
            lines.append("S\t\(f)\t\(statSignature(f))")
        }
        for f in inputs.contentOnly {
            if let m = FileSystem.modificationTimeNanos(f), m >= start - racyWindow {
                Trace.mark("noop record: \(f) changed within the racy window, not recorded")
                try? FileSystem.remove(file)
                return
            }
            lines.append("M\t\(f)\t\(evaluate("M", f))")
        }
        for p in inputs.procs { lines.append("P\t\(p)\t\(evaluate("P", String(p)))") }
        for r in inputs.reads { lines.append("R\t\(r)\t\(evaluate("R", r))") }
        lines.append("O\t\(output.utf8.count)")
        let body = Array((lines.joined(separator: "\n") + "\n" + output).utf8)
        let text = Array((header + "\nC\t" + checksum(body[...]) + "\n").utf8) + body
        try? FileSystem.createDirectory(directory(root), mode: 0o700)
        try? FileSystem.writeReplacing(text, to: file, mode: 0o600)
        Trace.mark("noop record: written")
    }
}
