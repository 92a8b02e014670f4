import ArgumentParser
@testable import CNCAppCLI
@testable import CNCCLI
import CNCRegistryCLI
import Testing

/// Every command's --help ends with docker-style EXAMPLES, and every example is a command line
/// that parses, flags and all, to the very command whose help shows it. The command trees are
/// walked from the roots, so a command added later cannot be missed; aliases in help come from
/// `aliases:`, so they are real by construction (and examples that use them must parse).
@Suite struct HelpExamplesTests {
    /// A command in a tree: its words after the tool's name (`["container", "ls"]`) and its type.
    struct Node {
        var path: [String]
        var type: any ParsableCommand.Type
    }

    static func nodes(_ command: any ParsableCommand.Type, path: [String] = []) -> [Node] {
        let config = command.configuration
        guard config.shouldDisplay else { return [] }
        return [Node(path: path, type: command)]
            + config.subcommands.flatMap { nodes($0, path: path + [$0._commandName]) }
    }

    /// The example lines of a command's help (`  cnc run ...` under EXAMPLES).
    static func examples(_ discussion: String, tool: String) -> [String] {
        guard let range = discussion.range(of: "EXAMPLES\n") else { return [] }
        return discussion[range.upperBound...].split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix(tool + " ") || $0 == tool }
    }

    /// The words a POSIX shell makes of `line`: quotes and backslashes as sh reads them, up to
    /// the first unquoted redirection, pipe or list operator (`> web.tar`, `< in.tar`, `| jq`).
    static func shellWords(_ line: String) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for ch in line {
            if escaped { word.append(ch); escaped = false; continue }
            if let q = quote {
                if ch == q { quote = nil } else if ch == "\\" && q == "\"" { escaped = true } else { word.append(ch) }
                continue
            }
            switch ch {
            case "'", "\"": quote = ch; inWord = true
            case "\\": escaped = true; inWord = true
            case " ", "\t":
                if inWord { words.append(word); word = ""; inWord = false }
            case "|", "<", ">", ";", "&":
                if inWord { words.append(word) }
                return words
            default: word.append(ch); inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }

    @Test func shellWordsSplitsAsShDoes() {
        #expect(Self.shellWords("cnc export web > web.tar") == ["cnc", "export", "web"])
        #expect(Self.shellWords("cnc ps --format 'table {{.Names}}\\t{{.Status}}'") == ["cnc", "ps", "--format", "table {{.Names}}\\t{{.Status}}"])
        #expect(Self.shellWords(#"cnc commit -c "CMD [\"sh\"]" web"#) == ["cnc", "commit", "-c", #"CMD ["sh"]"#, "web"])
        #expect(Self.shellWords("cnc load < x.tar") == ["cnc", "load"])
        #expect(Self.shellWords("cnc a''b") == ["cnc", "ab"])
    }

    /// Checks each command's examples in the tree of `root`: each parses, through the tool's own
    /// rewriting and parser (`parse`), to the command whose help shows it.
    static func checkExamples(
        root: any ParsableCommand.Type, tool: String, minimum: Int,
        parse: ([String]) throws -> (any ParsableCommand)
    ) {
        let all = nodes(root)
        #expect(all.count >= minimum, "the walk of \(tool) found only \(all.count) commands")
        for node in all {
            let name = ([tool] + node.path).joined(separator: " ")
            let help = root.helpMessage(for: node.type, columns: 200)
            #expect(help.contains("EXAMPLES\n"), "\(name) --help has no EXAMPLES")
            let lines = examples(node.type.configuration.discussion, tool: tool)
            #expect(!lines.isEmpty, "\(name) has no example that starts with '\(tool) '")
            // An example of a command parses to it; one of a group, to a command of the group.
            let subtree = nodes(node.type)
            for line in lines {
                do {
                    let parsed = type(of: try parse(Array(shellWords(line).dropFirst())))
                    #expect(subtree.contains { ObjectIdentifier($0.type) == ObjectIdentifier(parsed) || $0.type._commandName == parsed._commandName && registryServed(parsed) },
                            "\(name): '\(line)' is an example of \(parsed._commandName), not of \(name)")
                } catch {
                    Issue.record("\(name): '\(line)' does not parse: \(root.message(for: error))")
                }
            }
        }
    }

    /// A command cnc-registry parses (the listing in cnc is a stand-in of another type).
    static func registryServed(_ type: any ParsableCommand.Type) -> Bool {
        CNCRegistryCommand.configuration.subcommands.contains { ObjectIdentifier($0) == ObjectIdentifier(type) }
    }

    @Test func everyCncCommandShowsExamplesThatParse() {
        Self.checkExamples(root: CNCCommand.self, tool: "cnc", minimum: 90) { words in
            let args = CNCCommand.rewrite(words)
            let verbs = args.first == "image" ? Array(args.dropFirst()) : args
            // cnc-registry serves these (cnc execs it before parsing): parse them as it does.
            if let verb = verbs.first, CNCCommand.registryVerbs.contains(verb) { return try CNCRegistryCommand.parseAsRoot(verbs) }
            return try CNCCommand.parseAsRoot(args)
        }
    }

    @Test func everyCncapplyCommandShowsExamplesThatParse() {
        Self.checkExamples(root: CNCApplyCommand.self, tool: "cncapply", minimum: 12) { words in
            try CNCApplyCommand.parseAsRoot(CNCApplyCommand.rewrite(words))
        }
    }

    @Test func everyRegistryCommandShowsTheSameHelpAsItsListing() throws {
        for node in Self.nodes(CNCRegistryCommand.self).dropFirst() {
            let verb = node.path.joined(separator: " ")
            let listed = try #require(CNCCommand.configuration.subcommands.first { $0._commandName == verb })
            #expect(node.type.configuration.discussion == listed.configuration.discussion, "cnc \(verb)")
            #expect(node.type.configuration.abstract == listed.configuration.abstract, "cnc \(verb)")
        }
    }

    @Test func completionShowsHowToInstallForEachTool() {
        let cnc = CNCCommand.helpMessage(for: CompletionCommand<CNCCommand>.self, columns: 120)
        #expect(cnc.contains("source <(cnc completion bash)"), "\(cnc)")
        let apply = CNCApplyCommand.helpMessage(for: CompletionCommand<CNCApplyCommand>.self, columns: 120)
        #expect(apply.contains("cncapply completion fish > ~/.config/fish/completions/cncapply.fish"), "\(apply)")
    }
}
