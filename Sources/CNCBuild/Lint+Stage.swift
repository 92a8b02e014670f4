import Foundation

extension Lint {
    static func checkStage(_ stage: BuildStage, _ out: inout LintCollector) {
        var seen: [InstructionKind: Int] = [:]
        var absoluteWorkdir = false
        var previous: Instruction?
        var copiedAll: Instruction?
        for inst in stage.instructions {
            defer { previous = inst }
            switch inst.command {
            case .cmd(let cl), .entrypoint(let cl):
                if case .shell(let s) = cl, !s.isEmpty {
                    out.add(inst.line, "JSONArgsRecommended",
                            "JSON arguments recommended for \(inst.kind.name) to prevent unintended behavior related to OS signals: write \(inst.kind.name) [\"executable\", \"arg\"] so the app is PID 1 and receives SIGTERM")
                }
            case .workdir(let w):
                // As BuildKit: only the stage's first WORKDIR is checked (fixing it fixes the later ones).
                if !(w.hasPrefix("/") || w.hasPrefix("$")) && !absoluteWorkdir {
                    out.add(inst.line, "WorkdirRelativePath", "Relative workdir \"\(w)\" can have unexpected results if the base image changes: use an absolute path")
                }
                absoluteWorkdir = true
            case .add(let spec):
                for src in spec.sources {
                    if src.hasPrefix("http://") || src.hasPrefix("https://") {
                        out.add(inst.line, "AddURL", "ADD of the URL \(src): download in a RUN (curl/wget) that verifies a checksum, or give ADD --checksum=sha256:...")
                    } else if !src.hasPrefix("git@"), !src.hasPrefix("<<"), !isArchive(src) {
                        out.add(inst.line, "AddInsteadOfCopy", "ADD of the local \(src): use COPY, which only copies (ADD also extracts archives and fetches URLs)")
                    }
                }
            case .copy(let spec):
                if spec.from == nil, spec.sources.contains(where: { [".", "./", "*"].contains($0) }), copiedAll == nil { copiedAll = inst }
            case .run(let spec):
                if let prev = previous, prev.kind == .run {
                    out.add(inst.line, "ConsecutiveRun", "RUN right after the RUN at line \(prev.line): join them with && into one RUN (one layer, one cache step)")
                }
                if case .shell(let script) = spec.command { checkScript(script, inst, copiedAll, &out) }
            default: break
            }
            if [.cmd, .entrypoint, .healthcheck].contains(inst.kind) {
                if let first = seen[inst.kind] {
                    out.add(first, "MultipleInstructionsDisallowed",
                            "Multiple \(inst.kind.name) instructions should not be used in the same stage because only the last one will be used: keep only the one at line \(inst.line)")
                }
                seen[inst.kind] = inst.line
            }
        }
    }

    static func isArchive(_ src: String) -> Bool {
        let l = src.lowercased()
        return [".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tbz", ".tar.zst", ".tzst", ".gz", ".xz", ".bz2", ".zst"]
            .contains { l.hasSuffix($0) }
    }

    static func checkScript(_ script: String, _ inst: Instruction, _ copiedAll: Instruction?, _ out: inout LintCollector) {
        let commands = ShellScan.commands(script)
        let aptUpdate = commands.contains { ShellScan.isApt($0) && $0.contains("update") }
        let installs = ShellScan.installs(script)
        if aptUpdate, !installs.contains(where: { $0.manager == "apt" }) {
            out.add(inst.line, "AptGetUpdateAlone",
                    "apt-get update without apt-get install in the same RUN: the cached update goes stale; run apt-get update && apt-get install ... in one RUN")
        }
        for i in installs where i.manager == "apt" {
            let yes = i.flags.contains { ["-y", "--yes", "--assume-yes", "-qq", "-q=2"].contains($0) || ($0.hasPrefix("-") && !$0.hasPrefix("--") && $0.contains("y")) }
            if !yes {
                out.add(inst.line, "AptGetInstallWithoutYes", "apt-get install without -y waits for an answer no build gives: add -y")
            }
            if !i.flags.contains("--no-install-recommends") {
                out.add(inst.line, "AptGetInstallRecommends", "apt-get install without --no-install-recommends pulls in packages the image does not need: add --no-install-recommends")
            }
        }
        if inst.endLine > inst.line {
            for i in installs where i.packages.count > 1 {
                let sorted = i.packages.sorted()
                if i.packages != sorted {
                    out.add(inst.line, "UnsortedPackages",
                            "the \(i.manager) package list is not sorted: sort it (\(sorted.joined(separator: " "))) so changes and duplicates are easy to see")
                }
            }
        }
        if let copy = copiedAll, !installs.isEmpty || ShellScan.installsDependencies(commands) {
            out.add(copy.line, "CopyAllBeforeDependencies",
                    "COPY of the whole context before the dependency install at line \(inst.line): every source change reinstalls them; COPY the dependency manifest first, install, then COPY the rest")
        }
    }
}

/// A rough reading of a shell-form RUN: simple commands split on `&&`, `||`, `;`, `|` and
/// newlines, words on whitespace with quotes dropped. Enough for lint; never executed.
enum ShellScan {
    struct Install { var manager: String; var flags: [String]; var packages: [String] }

    static func commands(_ script: String) -> [[String]] {
        var normalized = script
        for sep in ["&&", "||", ";", "|", "\n"] { normalized = normalized.replacingOccurrences(of: sep, with: "\u{1}") }
        return normalized.split(separator: "\u{1}").map { cmd in
            cmd.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.filter { $0 != "\"" && $0 != "'" } }.filter { !$0.isEmpty }
        }.filter { !$0.isEmpty }
    }

    static func isApt(_ words: [String]) -> Bool { words.contains("apt-get") || words.contains("apt") }

    static func installs(_ script: String) -> [Install] {
        var out: [Install] = []
        for words in commands(script) {
            let managers: [(String, [String], [String])] = [
                ("apt", ["apt-get", "apt"], ["install"]), ("apk", ["apk"], ["add"]), ("dnf", ["dnf", "yum", "microdnf"], ["install"]),
                ("pip", ["pip", "pip3"], ["install"]),
            ]
            for (manager, tools, verbs) in managers {
                guard let t = words.firstIndex(where: { tools.contains($0) }),
                      let v = words[t...].firstIndex(where: { verbs.contains($0) }) else { continue }
                let args = words[(t + 1)...].filter { !verbs.contains($0) || words.firstIndex(of: $0) != v }
                let flags = args.filter { $0.hasPrefix("-") }
                let packages = words[(v + 1)...].filter { !$0.hasPrefix("-") && !$0.contains("=") || manager == "pip" && !$0.hasPrefix("-") }
                out.append(Install(manager: manager, flags: flags, packages: packages.map { $0.replacingOccurrences(of: "\\", with: "") }.filter { !$0.isEmpty }))
            }
        }
        return out
    }

    /// Installs that read a dependency manifest (npm, yarn, go mod, bundler, composer, cargo, mvn).
    static func installsDependencies(_ commands: [[String]]) -> Bool {
        commands.contains { w in
            (w.first == "npm" && (w.contains("install") || w.contains("ci"))) || w.first == "yarn"
                || (w.first == "go" && w.contains("mod") && w.contains("download"))
                || (w.first == "bundle" && w.contains("install")) || (w.first == "composer" && w.contains("install"))
                || (w.first == "cargo" && w.contains("fetch")) || (w.first == "mvn" && w.contains("dependency:go-offline"))
        }
    }
}
