import CNCCore
import CNCRuntime
import Testing

@Suite struct RuntimeUnitTests {
    @Test(arguments: [("no", "no", 0), ("always", "always", 0), ("on-failure:5", "on-failure", 5), ("unless-stopped", "unless-stopped", 0)])
    func restartPolicies(text: String, name: String, max: Int) throws {
        let p = try RestartPolicy(parsing: text)
        #expect(p.name.rawValue == name && p.maximumRetryCount == max)
    }

    @Test(arguments: ["sometimes", "always:3", "on-failure:x"])
    func badRestartPolicies(text: String) {
        #expect(throws: CNCError.self) { try RestartPolicy(parsing: text) }
    }

    @Test func capabilitiesFollowDockersRule() throws {
        #expect(try Capabilities.effective(add: [], drop: []).count == 14)
        let c = try Capabilities.effective(add: ["cap_sys_admin"], drop: ["NET_RAW"])
        #expect(c.contains("SYS_ADMIN") && !c.contains("NET_RAW"))
        #expect(try Capabilities.effective(add: [], drop: ["ALL"]).isEmpty)
        #expect(try Capabilities.effective(add: ["ALL"], drop: []).count == Capabilities.all.count)
        #expect(throws: CNCError.self) { try Capabilities.effective(add: ["FLY"], drop: []) }
    }

    @Test(arguments: [("nofile=1024:2048", "nofile", UInt64(1024), UInt64(2048)), ("nproc=10", "nproc", 10, 10)])
    func ulimits(text: String, name: String, soft: UInt64, hard: UInt64) throws {
        let u = try Ulimit(parsing: text)
        #expect(u.name == name && u.soft == soft && u.hard == hard)
    }

    @Test(arguments: ["nofile=2:1", "bogus=1", "nofile"])
    func badUlimits(text: String) { #expect(throws: CNCError.self) { try Ulimit(parsing: text) } }

    @Test(arguments: [("none", "none"), ("host", "host"), ("container:web", "container:web"), ("mynet", "mynet")])
    func networkModes(text: String, rendered: String) throws {
        #expect(try NetworkMode(parsing: text).description == rendered)
    }

    @Test(arguments: [("TERM", Int32(15)), ("SIGKILL", 9), ("9", 9), ("sigusr1", 10)])
    func signals(text: String, number: Int32) throws { #expect(try Runtime.signalNumber(text) == number) }

    @Test func healthcheckArgv() {
        #expect(Healthcheck(test: ["CMD-SHELL", "curl -f x"]).argv == ["/bin/sh", "-c", "curl -f x"])
        #expect(Healthcheck(test: ["CMD", "true"]).argv == ["true"])
    }
}

@Suite struct EnvironmentMergeTests {
    @Test func laterEntriesOverrideEarlierOnesInFirstSeenOrder() {
        #expect(Runtime.mergeEnvironment(["PATH=/bin", "PORT=8080", "A=1", "PORT=18080", "EMPTY=", "A=2"])
            == ["PATH=/bin", "PORT=18080", "A=2", "EMPTY="])
    }
}

/// Whether a PID 1 catches the stop signal, from /proc/<pid>/status's SigCgt.
struct GraceWaitTests {
    @Test(arguments: [
        ("SigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n", Int32(15), true),   // sleep as PID 1
        ("SigCgt:\t0000000000004000\n", Int32(15), false),                            // TERM (bit 14) caught
        ("SigCgt:\t0000000000004000\n", Int32(2), true),                              // INT not caught
        ("SigCgt:\t0000000000000002\n", Int32(2), false),
        ("SigCgt:\tffffffffffffffff\n", Int32(10), false),
        ("Name:\tx\n", Int32(15), false),                                              // unreadable: no claim
    ])
    func ignores(status: String, signal: Int32, ignored: Bool) {
        #expect(GraceWait.ignores(signal, status: status) == ignored)
    }

    @Test func noMessageWithoutAWait() {
        let me: Int32 = 1
        #expect(GraceWait.message(pid: me, signal: 15, timeout: 0, ownPIDNamespace: true) == nil)
        #expect(GraceWait.message(pid: me, signal: 15, timeout: 10, ownPIDNamespace: false) == nil)
        #expect(GraceWait.message(pid: me, signal: 9, timeout: 10, ownPIDNamespace: true) == nil)
    }
}

/// Which starts run in direct mode (the caller is init's parent and reaps it; no monitor).
@Suite struct DirectModeTests {
    static func config() -> ContainerConfig { ContainerConfig(id: ContainerID.random(), name: "x", image: "img", lowerDirs: ["/l"]) }

    @Test func aForegroundRmRunsDirect() {
        var c = Self.config()
        #expect(!Runtime.runsDirect(c, attached: true))
        c.autoRemove = true
        #expect(Runtime.runsDirect(c, attached: true))
        #expect(!Runtime.runsDirect(c, attached: false))
    }

    /// `cnc build`'s RUN: not `--rm` (its upper dir must outlive the run), reaped by the caller.
    @Test func aCallerThatReapsRunsDirectWithoutRm() throws {
        var c = Self.config()
        #expect(Runtime.runsDirect(c, attached: true, reapedByCaller: true))
        #expect(!Runtime.runsDirect(c, attached: false, reapedByCaller: true))
        c.tty = true
        #expect(!Runtime.runsDirect(c, attached: true, reapedByCaller: true))
        c.tty = false
        c.restartPolicy = try RestartPolicy(parsing: "on-failure:2")
        #expect(!Runtime.runsDirect(c, attached: true, reapedByCaller: true))
    }
}
