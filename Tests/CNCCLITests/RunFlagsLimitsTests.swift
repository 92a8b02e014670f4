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
}
