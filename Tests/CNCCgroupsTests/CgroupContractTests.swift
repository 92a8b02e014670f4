import CNCTestSupport
import Testing

/// CgroupManager's contract (CNCTestSupport's CgroupContract) on fixture trees: the real
/// writers, no root. The same checks run on this host's hierarchy in CNCCgroupsIntegrationTests.
@Suite struct CgroupContractTests {
    static let drivers: [CgroupDriverFactory] = [
        .v1Fixture(comounted: false),
        .v1Fixture(comounted: true),
        .v2Fixture,
    ]

    @Test(arguments: drivers, CgroupContract.checks)
    func contract(_ driver: CgroupDriverFactory, _ check: CgroupContractCheck) throws {
        try check.run(on: driver)
    }
}
