import ArgumentParser
import CNCAppCLI
import CNCCLI
import Foundation
import Testing

/// Every argument that names a container, image, network or volume completes those names, and
/// every `--filter` completes its keys: checked over ArgumentParser's own dump of the whole
/// command tree (what the completion scripts are generated from), so no command can be missed.
@Suite struct CompletionKindsTests {
    /// (command path, argument) for every argument in the tree of `root`.
    static func arguments(_ root: any ParsableCommand.Type) throws -> [(String, [String: Any])] {
        let dump = try #require(try JSONSerialization.jsonObject(with: Data(root._dumpHelp().utf8)) as? [String: Any])
        var out: [(String, [String: Any])] = []
        func walk(_ command: [String: Any], _ path: String) {
            let here = path.isEmpty ? (command["commandName"] as? String ?? "") : path + " " + (command["commandName"] as? String ?? "")
            if command["shouldDisplay"] as? Bool == false { return }
            for a in command["arguments"] as? [[String: Any]] ?? [] { out.append((here, a)) }
            for s in command["subcommands"] as? [[String: Any]] ?? [] { walk(s, here) }
        }
        walk(try #require(dump["command"] as? [String: Any]), "")
        return out
    }

    /// The positional value names that name things a state root holds.
    static let nameArguments: Set = ["container", "containers", "image", "images", "network", "networks", "volume", "volumes",
                                     "SOURCE_IMAGE[:TAG]", "NAME[:TAG]"]

    @Test func everyNameArgumentCompletesNames() throws {
        let args = try Self.arguments(CNCCommand.self)
        var checked = 0
        for (path, a) in args where a["kind"] as? String == "positional" {
            guard let name = a["valueName"] as? String, Self.nameArguments.contains(name) else { continue }
            checked += 1
            let kind = a["completionKind"] as? [String: Any]
            #expect(kind?["custom"] != nil, "\(path) <\(name)> completes no names")
        }
        #expect(checked > 40, "only \(checked) name arguments found")
    }

    @Test func everyFilterCompletesItsKeys() throws {
        var checked = 0
        for (path, a) in try Self.arguments(CNCCommand.self) where (a["names"] as? [[String: Any]])?.contains(where: { $0["name"] as? String == "filter" }) ?? false {
            checked += 1
            let values = ((a["completionKind"] as? [String: Any])?["list"] as? [String: Any])?["values"] as? [String] ?? []
            #expect(!values.isEmpty && values.allSatisfy { $0.hasSuffix("=") }, "\(path) --filter completes \(values)")
        }
        #expect(checked >= 6, "only \(checked) --filter options found")
    }
}
