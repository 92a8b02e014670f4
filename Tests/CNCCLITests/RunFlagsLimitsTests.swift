import CNCCore
import CNCStart
import CNCSystem
import Testing

/// `run`/`create`/`update` limit flags, checked as Docker's daemon checks them (its words).
struct RunFlagsLimitsTests {
    static func flags(_ set: (inout RunFlags) -> Void) -> RunFlags {
        var f = RunFlags()
        set(&f)
        return f
    }

    static let host = Processes.onlineCPUs

    @Test(arguments: [
        (flags { $0.memory = "4m" }, "Minimum memory limit allowed is 6MB"),
        (flags { $0.memoryReservation = "1m" }, "Minimum memory reservation allowed is 6MB"),
        (flags { $0.memory = "10m"; $0.memoryReservation = "20m" }, "Minimum memory limit can not be less than memory reservation limit, see usage"),
        (flags { $0.memory = "10m"; $0.memorySwap = "5m" }, "Minimum memoryswap limit should be larger than memory limit, see usage"),
        (flags { $0.memorySwap = "20m" }, "You should always set the Memory limit when using Memoryswap limit, see usage"),
        (flags { $0.cpus = "99" }, "Range of CPUs is from 0.01 to \(host).00, as there are only \(host) CPUs available"),
        (flags { $0.cpus = "1"; $0.cpuPeriod = 50_000 }, "Conflicting options: Nano CPUs and CPU Period cannot both be set"),
        (flags { $0.cpus = "1"; $0.cpuQuota = 50_000 }, "Conflicting options: Nano CPUs and CPU Quota cannot both be set"),
        (flags { $0.cpuPeriod = 500 }, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"),
        (flags { $0.cpuQuota = 500 }, "CPU cfs quota can not be less than 1ms (i.e. 1000)"),
        (flags { $0.blkioWeight = 5 }, "Range of blkio weight is from 10 to 1000"),
    ])
    func refusedInDockersWords(flags: RunFlags, message: String) {
        #expect(throws: CNCError.self) { try flags.resourceLimits().validate() }
        do { try flags.resourceLimits().validate() } catch let e as CNCError { #expect(e.message == message) } catch {}
    }

    /// docker's reading: --memory 0 (and reservation, swap) is "not given", -1 unlimited swap
    /// and pids; --memory -1 is refused as docker's CLI refuses it; --cpus 0 sets no quota.
    @Test func unlimitedValuesPass() throws {
        let m = try Self.flags { $0.pidsLimit = -1; $0.memorySwap = "-1" }.resourceLimits()
        try m.validate()
        #expect(m.memory == nil && m.memorySwap == -1 && m.pids == -1)
        let z = try Self.flags { $0.memory = "0"; $0.memoryReservation = "0"; $0.memorySwap = "0"; $0.pidsLimit = 0; $0.cpus = "0" }.resourceLimits()
        try z.validate()
        #expect(z.memory == nil && z.memoryReservation == nil && z.memorySwap == nil && z.pids == 0 && z.cpuQuota == nil)
        for f in [Self.flags { $0.memory = "-1" }, Self.flags { $0.memoryReservation = "-1" }] {
            #expect(throws: CNCError.self) { try f.resourceLimits() }
        }
        let ok = try Self.flags { $0.cpus = "\(Self.host)"; $0.memory = "6m"; $0.memorySwap = "6m" }.resourceLimits()
        try ok.validate()
        #expect(ok.cpuQuota == Int64(Self.host) * 100_000)
    }

    /// One `cnc update` of memory: the container's memory and swap, the update's, and the swap
    /// limit written (-2: none pinned, the update as given; nil: refused).
    struct UpdateCase: Sendable {
        var memory: Int64, swap: Int64?, newMemory: Int64, newSwap: Int64?, written: Int64?
    }

    static let mib: Int64 = 1 << 20
    static let updateCases: [UpdateCase] = [
        UpdateCase(memory: 64 * mib, swap: nil, newMemory: 100 * mib, newSwap: nil, written: 128 * mib),
        UpdateCase(memory: 64 * mib, swap: nil, newMemory: 200 * mib, newSwap: nil, written: nil),
        UpdateCase(memory: 64 * mib, swap: 300 * mib, newMemory: 200 * mib, newSwap: nil, written: 300 * mib),
        UpdateCase(memory: 64 * mib, swap: -1, newMemory: 200 * mib, newSwap: nil, written: -2),
        UpdateCase(memory: 0, swap: nil, newMemory: 200 * mib, newSwap: nil, written: -2),
        UpdateCase(memory: 64 * mib, swap: nil, newMemory: 200 * mib, newSwap: 400 * mib, written: 400 * mib),
    ]

    /// `cnc update --memory` alone: the swap limit the container has stays (twice the memory
    /// when never given), one above it is refused; no swap limit, no refusal.
    @Test(arguments: updateCases)
    func updateKeepsOrRefusesTheSwapLimit(_ c: UpdateCase) {
        var current = CgroupLimits()
        current.memory = c.memory > 0 ? c.memory : nil
        current.memorySwap = c.swap
        var update = CgroupLimits()
        update.memory = c.newMemory
        update.memorySwap = c.newSwap
        do {
            let u = try current.dockerUpdate(update)
            #expect(c.written != nil && (u.memorySwap ?? -2) == c.written, "\(u)")
            #expect(u.memory == c.newMemory)
        } catch let e as CNCError {
            #expect(c.written == nil && e.message.hasPrefix("Memory limit should be smaller than already set memoryswap limit"))
        } catch { Issue.record("\(error)") }
    }

    /// --cpuset-cpus/--cpuset-mems: Docker's list syntax, then the host's offer, in the daemon's
    /// words (the offer injected: the runtime reads the root cgroup's cpuset).
    @Test func cpusetsInDockersWords() throws {
        #expect(CgroupLimits.cpusetMembers("0-2,5") == [0, 1, 2, 5])
        #expect(CgroupLimits.cpusetMembers("3") == [3])
        for bad in ["abc", "1-0", "", "0,", "-1", " 1", "1-", "0-1-2"] { #expect(CgroupLimits.cpusetMembers(bad) == nil, "\(bad)") }
        func refusal(cpus: String? = nil, mems: String? = nil) -> String? {
            var l = CgroupLimits()
            l.cpusetCpus = cpus
            l.cpusetMems = mems
            do { try l.validateCpusets(availableCPUs: { "0-3" }, availableMems: { "0" }); return nil } catch let e as CNCError {
                return e.message
            } catch { return "\(error)" }
        }
        #expect(refusal(cpus: "0-3", mems: "0") == nil)
        #expect(refusal(cpus: "1,3") == nil)
        #expect(refusal(cpus: "abc") == "Invalid value abc for cpuset cpus: invalid format: abc")
        #expect(refusal(cpus: "2-1") == "Invalid value 2-1 for cpuset cpus: invalid format: 2-1")
        #expect(refusal(cpus: "0,5") == "Requested CPUs are not available - requested 0,5, available: 0-3")
        #expect(refusal(mems: "x") == "Invalid value x for cpuset mems: invalid format: x")
        #expect(refusal(mems: "1") == "Requested memory nodes are not available - requested 1, available: 0")
        // The host is read only when a cpuset is asked for.
        try CgroupLimits().validateCpusets(availableCPUs: { Issue.record("read"); return "" }, availableMems: { Issue.record("read"); return "" })
    }

    /// A negative --cpus is out of Docker's range (its words), not an unparsable quantity.
    @Test func negativeCPUsAreOutOfRange() {
        for v in ["-1", "-0.5"] {
            do { _ = try Self.flags { $0.cpus = v }.resourceLimits(); Issue.record("\(v) accepted") } catch let e as CNCError {
                #expect(e.message == "Range of CPUs is from 0.01 to \(Self.host).00, as there are only \(Self.host) CPUs available")
            } catch { Issue.record("\(error)") }
        }
    }

    /// Docker's create warning: OOM killer off with no memory limit.
    @Test func oomKillDisableWithoutMemoryWarns() throws {
        let warning = "OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources."
        #expect(try Self.flags { $0.oomKillDisable = true }.resourceLimits().dockerWarnings == [warning])
        #expect(try Self.flags { $0.oomKillDisable = true; $0.memory = "10m" }.resourceLimits().dockerWarnings.isEmpty)
        #expect(try Self.flags { $0.memory = "10m" }.resourceLimits().dockerWarnings.isEmpty)
    }
}
