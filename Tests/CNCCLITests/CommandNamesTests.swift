import ArgumentParser
import Testing
@testable import CNCCLI

/// The two forms of ps/rm/images/rmi print their own name, once, in usage and help.
@Suite struct CommandNamesTests {
    @Test func usageNamesTheCommandOnce() throws {
        let forms: [(any ParsableCommand.Type, String)] = [
            (TopLevelPs.self, "USAGE: cnc ps [--root"), (TopLevelImages.self, "USAGE: cnc images [--root"),
            (TopLevelRm.self, "USAGE: cnc rm [--root"), (TopLevelRmi.self, "USAGE: cnc rmi [--root"),
            (GroupPs.self, "USAGE: cnc container ps [--root"), (GroupImages.self, "USAGE: cnc image ls [--root"),
            (GroupRm.self, "USAGE: cnc container rm [--root"), (GroupRmi.self, "USAGE: cnc image rm [--root"),
        ]
        for (command, usage) in forms {
            let help = CNCCommand.helpMessage(for: command, columns: 400)
            #expect(help.contains(usage), "\(command): \(help.prefix(200))")
        }
    }

    @Test func topLevelHasNoGroupAliases() throws {
        // `cnc ls` / `cnc list` / `cnc remove` are group aliases only (docker has no such top-level commands).
        for alias in ["ls", "list", "remove"] {
            #expect(throws: (any Error).self) { _ = try CNCCommand.parseAsRoot([alias]) }
        }
        #expect(try CNCCommand.parseAsRoot(["container", "list"]) is GroupPs)
        #expect(try CNCCommand.parseAsRoot(["image", "rmi", "x"]) is GroupRmi)
    }
}
