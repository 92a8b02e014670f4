import Testing
@testable import CNCStart

/// What the front's `cnc update` takes itself (limit flags, then containers) and what it
/// leaves to cnc-cli (nil).
@Suite struct UpdatePathTests {
    @Test func limitFlagsInBothForms() throws {
        let p = try #require(UpdatePath.parse(["--memory", "64m", "--pids-limit=40", "-c", "512", "--cpus", "1.5", "web", "db"]))
        #expect(p.flags.memory == "64m" && p.flags.pidsLimit == 40 && p.flags.cpuShares == 512 && p.flags.cpus == "1.5")
        #expect(p.containers == ["web", "db"])
        // -1 removes a limit: a value, not a flag.
        #expect(UpdatePath.parse(["--memory-swap", "-1", "web"])?.flags.memorySwap == "-1")
    }

    @Test(arguments: [
        ["--memory", "64m"],                // no container
        ["--restart", "always", "web"],     // not a limit
        ["--help"], ["web", "--memory"],    // help; a flag without its value
        ["--pids-limit", "many", "web"],    // not a number: cnc-cli says so
        ["--memory=", "web"], ["--root", "/x", "--memory", "1g", "web"], ["--", "web"],
    ])
    func leftToTheFullCLI(_ args: [String]) {
        #expect(UpdatePath.parse(args) == nil)
    }
}
