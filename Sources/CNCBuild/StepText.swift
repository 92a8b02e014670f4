import CNCCore

/// The text of a step after substitution, unambiguous (a word with spaces or quotes is written as
/// a JSON string): the history's `created_by` and the instruction part of a cache key.
enum StepText {
    static func render(_ inst: Instruction, _ command: Command) -> String {
        var parts = [inst.kind.name]
        func q(_ s: String) -> String {
            let plain = !s.isEmpty && !s.contains(where: { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "\\" || $0 == "\n" || $0 == "=" })
            return plain ? s : quoteJSON(s)
        }
        func flag(_ name: String, _ value: String?) { if let value { parts.append("--\(name)=\(q(value))") } }
        func line(_ cl: CommandLine) {
            switch cl {
            case .exec(let argv): parts.append("[" + argv.map(quoteJSON).joined(separator: ",") + "]")
            case .shell(let s): parts.append(s)
            }
        }
        switch command {
        case .from(let f):
            flag("platform", f.platform)
            parts.append(q(f.image))
            if let n = f.stageName { parts += ["AS", n] }
        case .arg(let defs): parts += defs.map { d in d.defaultValue.map { v in "\(d.name)=\(q(v))" } ?? d.name }
        case .env(let kvs, _), .label(let kvs, _): parts += kvs.map { "\(q($0.key))=\(q($0.value))" }
        case .expose(let ports): parts += ports.map(q)
        case .user(let s), .workdir(let s), .stopSignal(let s), .maintainer(let s): parts.append(q(s))
        case .volume(let list): parts.append("[" + list.map(quoteJSON).joined(separator: ",") + "]")
        case .healthcheck(let h):
            guard let h else { parts.append("NONE"); break }
            flag("interval", h.interval.map(String.init))
            flag("timeout", h.timeout.map(String.init))
            flag("start-period", h.startPeriod.map(String.init))
            flag("start-interval", h.startInterval.map(String.init))
            flag("retries", h.retries.map(String.init))
            parts.append("CMD")
            line(h.test)
        case .shell(let argv): parts.append("[" + argv.map(quoteJSON).joined(separator: ",") + "]")
        case .onbuild(let inner): parts.append(inner.original)
        case .cmd(let cl), .entrypoint(let cl): line(cl)
        case .run(let spec):
            for m in spec.mounts { flag("mount", mountText(m)) }
            flag("network", spec.network?.rawValue)
            flag("security", spec.security)
            line(spec.command)
        case .copy(let s), .add(let s):
            flag("from", s.from)
            flag("chown", s.chown)
            flag("chmod", s.chmod)
            if s.link { parts.append("--link") }
            if s.parents { parts.append("--parents") }
            for e in s.exclude { flag("exclude", e) }
            flag("checksum", s.checksum)
            if s.keepGitDir { parts.append("--keep-git-dir") }
            parts += s.sources.map(q)
            parts.append(q(s.destination))
        }
        var text = parts.joined(separator: " ")
        for doc in inst.heredocs { text += "\n" + doc.body + doc.name }
        return text
    }

    static func mountText(_ m: RunMount) -> String {
        var f = ["type=\(m.type.rawValue)"]
        func add(_ k: String, _ v: String?) { if let v { f.append("\(k)=\(v)") } }
        add("target", m.target)
        add("source", m.source)
        add("from", m.from)
        add("id", m.id)
        if m.type == .cache || m.type == .bind { f.append(m.readOnly ? "ro" : "rw") }
        if m.type == .cache { f.append("sharing=\(m.sharing.rawValue)") }
        add("mode", m.mode)
        add("uid", m.uid)
        add("gid", m.gid)
        add("size", m.size)
        if m.required { f.append("required") }
        add("env", m.env)
        return f.joined(separator: ",")
    }

    static func quoteJSON(_ s: String) -> String {
        (try? CanonicalJSON.string(s)) ?? "\"\""
    }
}
