import CNCCore
import CNCImageStore
import CNCSystem

/// What lets the `cnc` front answer a no-change `cnc build` without cnc-cli (BuildPath): written
/// by cnc-cli right after a build that replayed its BuildResultRecord (every check of the full
/// path passed: context signature, base images, step cache entries, layer blobs), for exactly
/// that invocation (BuildInvocation: the plain forms only, with the working directory). It holds
///   - the context's stat signature as StatTreeWalk gives it (every entry, `.dockerignore`
///     applied to nothing: any change anywhere, ignored files and the Dockerfile included,
///     sends the next build to the full path), taken only when no entry changed within the
///     racy window before cnc-cli started;
///   - the files the replay relied on and their identity: index.json as a whole (any tag move,
///     pull, import or removal: base images, the build's own tags), and device, inode and size
///     of the result record, every step cache entry (rewritten or pruned: another inode or
///     none; the replay touches them, so their times move), every layer, config and manifest blob;
///   - what the replay then did: the cache entries it touched (their last use), the events it
///     logged, the image ID (--iidfile), its standard output and error, byte for byte.
/// The front checks all of it and does the same; anything different, missing or odd is the
/// full path (which rewrites the ticket when it replays again). Files under
/// `<root>/build-front/`, named by a hash of the invocation (kept inside and compared).
public enum BuildReplayTicket {
    static let version = "cnc-build-front-1"

    /// A `cnc build` invocation the front can replay: `cnc [--root R] build` with `--root`,
    /// `-t/--tag`, `--progress auto|plain|quiet`, `-q/--quiet`, `--network default|none|host`,
    /// `--iidfile` and one context; nil for anything else (a flag, a second path, `-f`, ...).
    public struct BuildInvocation: Equatable {
        public var root: String?
        public var tags: [String] = []
        public var quiet = false
        public var iidfile: String?
        public var context = ""

        public init?(_ arguments: [String]) {
            let globals = LeadingGlobalOptions(arguments)
            guard globals.missingValue == nil, globals.values.allSatisfy({ $0.name == "--root" }),
                  globals.rest.first == "build" else { return nil }
            root = globals.value("--root")
            var context: String?
            var args = globals.rest.dropFirst()[...]
            while let a = args.popFirst() {
                guard a.hasPrefix("-"), a != "-" else {
                    guard context == nil, !a.isEmpty, a != "-" else { return nil }
                    context = a
                    continue
                }
                if a == "-q" || a == "--quiet" { quiet = true; continue }
                var name = a, value: String
                if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
                    name = String(a[..<eq])
                    value = String(a[a.index(after: eq)...])
                } else {
                    guard let v = args.popFirst() else { return nil }
                    value = v
                }
                switch name {
                case "--root": root = value
                case "-t", "--tag": tags.append(value)
                case "--progress":
                    guard ["auto", "plain", "quiet"].contains(value) else { return nil }
                    if value == "quiet" { quiet = true }
                case "--network": guard ["default", "none", "host"].contains(value) else { return nil }
                case "--iidfile": guard !value.isEmpty else { return nil }; iidfile = value
                default: return nil
                }
            }
            guard let context else { return nil }
            self.context = context
        }

        /// The items that name the ticket, the working directory first (relative paths).
        func key(cwd: String) -> [String] {
            [cwd, context, quiet ? "quiet" : "plain", iidfile ?? "", root ?? ""] + tags
        }
    }

    /// What a replay did, for the ticket (cnc-cli) and from it (the front).
    public struct Ticket {
        /// Files whose device, inode and size must hold, with them (nil: as they are when saved).
        public var kept: [(path: String, identity: String?)] = []
        /// Cache entries the replay touched.
        public var touched: [String] = []
        /// Image events logged: (action, id, name).
        public var events: [(action: String, id: String, name: String)] = []
        public var imageID = ""
        public var stdout = ""
        public var stderr = ""
        public init() {}
    }

    /// The environment a ticket cannot speak for: such builds are always the full path's.
    public static var environmentAllows: Bool {
        Host.effectiveUserID == 0 && (Host.environment("SOURCE_DATE_EPOCH") ?? "").isEmpty
    }

    static func file(stateRoot: String, key: [String]) -> String {
        stateRoot + "/build-front/" + FNV1a.name(key.joined(separator: "\0"))
    }

    /// The context's signature (see the type's comment); nil when it cannot be read or
    /// (`changedSince`, wall-clock ns) some entry changed within the racy window before it.
    static func signature(_ context: String, changedSince start: Int64? = nil) -> String? {
        var h = SHA256Hasher()
        guard let walked = StatTreeWalk.walk(context, { h.update($0) }) else { return nil }
        if let start, walked.newestCtime >= start - 2_000_000_000 { return nil }
        return h.finalize().description + " \(walked.entries)"
    }

    /// Writes the ticket of `invocation` after a replay; `started`: when cnc-cli started (ns);
    /// `index`: index.json's identity before the replay (a replay that moved a tag leaves the
    /// ticket to the next one). Failures only cost the shortcut.
    public static func save(_ t: Ticket, invocation: BuildInvocation, stateRoot: String, started: Int64, index before: String?) {
        guard environmentAllows, let cwd = try? FileSystem.currentDirectory(),
              let index = FileSystem.identity(ImageStorePaths(stateRoot: stateRoot).index), index == before,
              let signature = signature(invocation.context, changedSince: started) else { return }
        let key = invocation.key(cwd: cwd)
        var items = [version, String(key.count)] + key + [signature, index, t.imageID, t.stdout, t.stderr]
        for (p, identity) in t.kept {
            guard let id = identity ?? FileSystem.inodeIdentity(p) else { return }
            items += ["keep", p, id]
        }
        for p in t.touched { items += ["touch", p] }
        for e in t.events { items += ["event", e.action, e.id, e.name] }
        NulFieldsFile.write(items, to: file(stateRoot: stateRoot, key: key))
    }

    /// The ticket of `invocation` when everything it relies on still holds, else nil.
    static func load(_ invocation: BuildInvocation, stateRoot: String) -> Ticket? {
        guard let cwd = try? FileSystem.currentDirectory() else { return nil }
        let key = invocation.key(cwd: cwd)
        guard var items = NulFieldsFile.read(file(stateRoot: stateRoot, key: key))?[...] else { return nil }
        guard items.popFirst() == version, items.popFirst() == String(key.count), Array(items.prefix(key.count)) == key else { return nil }
        items = items.dropFirst(key.count)
        guard items.count >= 5 else { return nil }
        let signature = items.popFirst()!, index = items.popFirst()!
        var t = Ticket()
        t.imageID = items.popFirst()!
        t.stdout = items.popFirst()!
        t.stderr = items.popFirst()!
        guard FileSystem.identity(ImageStorePaths(stateRoot: stateRoot).index) == index else { return nil }
        Trace.mark("build (front): ticket read")
        while let kind = items.popFirst() {
            switch kind {
            case "keep":
                guard let p = items.popFirst(), let id = items.popFirst(), FileSystem.inodeIdentity(p) == id else { return nil }
                t.kept.append((p, id))
            case "touch":
                guard let p = items.popFirst() else { return nil }
                t.touched.append(p)
            case "event":
                guard let a = items.popFirst(), let i = items.popFirst(), let n = items.popFirst() else { return nil }
                t.events.append((a, i, n))
            default: return nil
            }
        }
        Trace.mark("build (front): files hold")
        guard Self.signature(invocation.context) == signature else { return nil }
        Trace.mark("build (front): context unchanged")
        return t
    }
}
