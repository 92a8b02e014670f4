import CNCTestSupport
import Testing

/// CgroupManager's contract (CNCTestSupport's CgroupContract) on this host's real cgroup
/// hierarchy, as root: processes really join, freeze and get killed. A systemd driver joins
/// by adding its factory here.
@Suite(.serialized) struct CgroupContractHostTests {
    static let drivers: [CgroupDriverFactory] = [
        .hostCgroupfs,
    ]

    @Test(.enabled(if: CgroupDriverFactory.hostIsWritable, "needs root and a mounted cgroup hierarchy"),
          arguments: drivers, CgroupContract.checks)
    func contract(_ driver: CgroupDriverFactory, _ check: CgroupContractCheck) throws {
        try check.run(on: driver)
    }
}
