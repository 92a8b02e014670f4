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

    /// -1 and 0 mean unlimited for memory and pids; --cpus 0 sets no quota; the kernel's CFS
    /// bounds hold for shares (2..262144, as Docker clamps them).
    @Test func unlimitedValuesPass() throws {
        let m = try Self.flags { $0.memory = "-1"; $0.pidsLimit = -1; $0.memorySwap = "-1" }.resourceLimits()
        try m.validate()
        #expect(m.memory == -1 && m.pids == -1)
        let z = try Self.flags { $0.memory = "0"; $0.pidsLimit = 0; $0.cpus = "0" }.resourceLimits()
        try z.validate()
        #expect(z.memory == 0 && z.pids == 0 && z.cpuQuota == nil)
        let ok = try Self.flags { $0.cpus = "\(Self.host)"; $0.memory = "6m"; $0.memorySwap = "6m" }.resourceLimits()
        try ok.validate()
        #expect(ok.cpuQuota == Int64(Self.host) * 100_000)
    }
}
