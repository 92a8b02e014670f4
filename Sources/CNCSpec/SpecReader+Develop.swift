import CNCCore

extension SpecReader {
    static let watchRuleKeys: KeySet = ["action", "path", "target", "ignore", "include", "initial_sync", "exec"]
    static let watchExecKeys: KeySet = ["command", "user", "privileged", "working_dir", "environment"]

    /// Compose's `develop:` section. Checked here, with positions, what Compose checks when
    /// watching starts: an action, a path inside the project, a target for the sync actions, a
    /// command for sync+exec, and a build for rebuild.
    func readDevelop(_ node: YAMLNode, _ path: String, hasBuild: Bool) -> DevelopSpec? {
        guard let f = fields(node, path, allowed: ["watch"]) else { return nil }
        var d = DevelopSpec()
        guard let n = f["watch"], !n.isNull else { return d }
        guard case .sequence(let items) = n.content else {
            error(n, f.path("watch"), "must be a list of watch rules, not \(n.kindDescription)")
            return nil
        }
        for (i, item) in items.enumerated() {
            if let rule = readWatchRule(item, "\(f.path("watch"))[\(i)]", hasBuild: hasBuild) { d.watch.append(rule) }
        }
        return d
    }

    func readWatchRule(_ node: YAMLNode, _ path: String, hasBuild: Bool) -> WatchRule? {
        guard let f = fields(node, path, allowed: Self.watchRuleKeys) else { return nil }
        let action = f["action"].flatMap { choice($0, f.path("action"), WatchRule.Action.self, what: "a watch action") }
        if f["action"] == nil { error(node, path, "action is required (valid: \(WatchRule.Action.allCases.map(\.rawValue).joined(separator: ", ")))") }
        var resolved: String?
        if let n = f["path"], let p = string(n, f.path("path"), allowEmpty: false) {
            let abs = resolvePath(p, from: n)
            if abs == defaultBaseDir || abs.hasPrefix(defaultBaseDir == "/" ? "/" : defaultBaseDir + "/") {
                resolved = abs
            } else {
                error(n, f.path("path"), "\"\(p)\" is outside the project directory (watch rules watch the project's own files)")
            }
        } else if f["path"] == nil {
            error(node, path, "path is required (the file or directory to watch, relative to the project directory)")
        }
        var target: String?
        if let n = f["target"], let t = string(n, f.path("target"), allowEmpty: false) {
            if t.hasPrefix("/") { target = Self.cleanPath(t) } else { error(n, f.path("target"), "\"\(t)\" must be an absolute container path") }
        }
        var ignore: [String] = [], include: [String] = []
        if let n = f["ignore"], let l = stringOrList(n, f.path("ignore")) { ignore = l }
        if let n = f["include"], let l = stringOrList(n, f.path("include")) { include = l }
        let initialSync = optionalBool(f, "initial_sync") ?? false
        let exec = f["exec"].flatMap { readWatchExec($0, f.path("exec")) }
        guard let action else { return nil }
        if action.syncs, f["target"] == nil {
            error(node, path, "target is required for non-rebuild actions (\(action.rawValue) copies files to the container path it names)")
        }
        if action == .syncExec, exec == nil, f["exec"] == nil {
            error(node, path, "can't watch with action \"sync+exec\" without a command (add exec: {command: ...})")
        }
        if action == .rebuild, !hasBuild {
            error(f["action"]?.mark, f.path("action"), "can't watch with action rebuild without a build context (the service has no build:)")
        }
        if f["exec"] != nil, action != .syncExec { error(f.keyMark("exec"), f.path("exec"), "only applies to action sync+exec") }
        guard let resolved else { return nil }
        var rule = WatchRule(action: action, path: resolved)
        rule.target = target
        rule.ignore = ignore
        rule.include = include
        rule.initialSync = initialSync
        rule.exec = exec
        return rule
    }

    func readWatchExec(_ node: YAMLNode, _ path: String) -> WatchExec? {
        guard let f = fields(node, path, allowed: Self.watchExecKeys) else { return nil }
        guard let n = f["command"] else {
            error(node, path, "command is required")
            return nil
        }
        guard let command = commandLine(n, f.path("command")) else { return nil }
        if command.isEmpty { error(n, f.path("command"), "must not be empty") }
        var x = WatchExec(command: command)
        x.user = optionalString(f, "user", allowEmpty: false)
        // As `cnc exec --privileged`: every capability for the hook, whatever the container's set.
        if optionalBool(f, "privileged") == true { x.privileged = true }
        x.workingDir = optionalString(f, "working_dir", allowEmpty: false)
        if let w = x.workingDir, !w.hasPrefix("/") { error(f["working_dir"]?.mark, f.path("working_dir"), "\"\(w)\" must be an absolute path") }
        if let n = f["environment"], let entries = listOrDict(n, f.path("environment")) {
            for (k, v, _) in entries { x.environment[k] = v ?? variables[k] ?? "" }
        }
        return command.isEmpty ? nil : x
    }
}
