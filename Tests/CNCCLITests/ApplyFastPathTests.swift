import ArgumentParser
import Testing
@testable import CNCAppCLI

/// cncapply's ArgumentParser-free reading of the plain apply form must make exactly the
/// command ArgumentParser makes of the same arguments, and decline everything else.
@Suite struct ApplyFastPathTests {
    /// Every stored value of `value`, property wrappers' states included.
    static func described(_ value: Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }

    /// What the entry point's fast path makes of `args` (after cncapply's own rewrite).
    static func viaFastPath(_ args: [String]) -> ApplyCommand? {
        ApplyFastPath.parse(CNCApplyCommand.rewrite(args)).flatMap(ApplyFastPath.command)
    }

    static func viaArgumentParser(_ args: [String]) throws -> ApplyCommand {
        try #require(try CNCApplyCommand.parseAsRoot(CNCApplyCommand.rewrite(args)) as? ApplyCommand)
    }

    static let plainForms: [[String]] = [
        [],
        ["apply"],
        ["-f", "app.yaml"],
        ["apply", "-f", "app.yaml"],
        ["-f", "app.yaml", "apply"],
        ["-f", "a.yaml", "-f", "b.yaml", "-p", "shop", "--root", "/tmp/r"],
        ["--file", "a.yaml", "--project-name", "shop"],
        ["--file=a.yaml", "--project-name=shop", "--root=/tmp/r", "--cgroup-manager=cgroupfs"],
        ["-p", "one", "-p", "two", "--root", "/a", "--root", "/b"],
        ["--log-level", "DEBUG", "--cgroup-manager", "systemd", "-f", "x.yaml"],
        ["--log-level=error", "-f", "apply"],
        ["-f", "a=b.yaml", "-p", "a b"],
    ]

    @Test(arguments: plainForms)
    func plainFormsParseAsArgumentParserParsesThem(_ args: [String]) throws {
        let fast = try #require(Self.viaFastPath(args), "fast path declined \(args)")
        let reference = try Self.viaArgumentParser(args)
        #expect(Self.described(fast) == Self.described(reference), "\(args)")
    }

    /// Anything but the plain form is ArgumentParser's to read (and to report).
    @Test(arguments: [
        ["--dry-run", "-f", "a.yaml"], ["-f"], ["-f", "-"], ["-f", ""], ["--file="], ["--bogus"], ["-h"], ["--help"],
        ["--version"], ["help"], ["diff", "-f", "a.yaml"], ["down", "-p", "x"], ["-f", "a.yaml", "--"], ["-fa.yaml"],
        ["-f=a.yaml"], ["--log-level", "loud"], ["apply", "apply"], ["--watch"], ["-f", "a", "--plan", "p.json"],
        ["-root", "x"], ["--root"], ["-p", "--root", "x"], ["a.yaml"], ["--file", "a", "--prune"],
    ])
    func otherFormsAreDeclined(_ args: [String]) {
        #expect(Self.viaFastPath(args) == nil, "\(args)")
    }

    /// The names the fast path reads are ApplyCommand's own (a renamed option must not keep an
    /// old spelling alive here), with the same short names.
    @Test func namesAreApplyCommandsOwn() throws {
        let declared = try DeclaredArgument.of(ApplyCommand.self)
        let longs = Set(declared.compactMap(\.long).map { "--" + $0 })
        for (name, _) in ApplyFastPath.names where name.hasPrefix("--") {
            #expect(longs.contains(name), "\(name) is not an option of apply")
        }
        for (name, key) in ApplyFastPath.names where !name.hasPrefix("--") {
            let argument = try #require(declared.first { $0.short.map { "-\($0)" } == name }, "\(name) is not an option of apply")
            #expect(ApplyFastPath.names["--" + (argument.long ?? "")] == key, "\(name) and its long name differ")
        }
    }

    /// Every option of the command the fast path makes holds a value: one left as a definition
    /// (an option added to ApplyCommand and not set in ApplyFastPath.command) traps when read.
    @Test func everyPropertyIsSet() throws {
        let fast = try #require(Self.viaFastPath(["-f", "a.yaml"]))
        #expect(Self.unset(fast, path: "ApplyCommand").isEmpty, "\(Self.unset(fast, path: "ApplyCommand"))")
        // The check itself sees an unset option.
        #expect(Self.unset(ApplyCommand(), path: "ApplyCommand").count >= 6)
    }

    /// Paths of property wrappers still in their `.definition` state.
    static func unset(_ value: Any, path: String, depth: Int = 0) -> [String] {
        guard depth < 8 else { return [] }
        var out: [String] = []
        for child in Mirror(reflecting: value).children {
            let label = child.label ?? "?"
            if label == "_parsedValue" {
                let state = Mirror(reflecting: child.value).children.first
                if state?.label != "value" { out.append(path) }
                if let inner = state?.value, state?.label == "value" { out += unset(inner, path: path, depth: depth + 1) }
            } else {
                out += unset(child.value, path: path + "." + label, depth: depth + 1)
            }
        }
        return out
    }
}
