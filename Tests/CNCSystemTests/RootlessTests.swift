import CNCSystem
import Testing

/// /etc/subuid parsing for rootless cnc (cshim_subid_ranges, through Rootless).
struct RootlessSubordinateRangeTests {
    static let file = """
        # a comment
        alice:100000:65536
        1001:300000:1000
        bob:165536:65536
        alice:500000:10
        carol:bad:10
        carol:1:0
        dave:7:
        """

    @Test(arguments: [
        ("alice", UInt32(1000), [[UInt64(100_000), 65_536], [500_000, 10]]),
        ("bob", 1002, [[165_536, 65_536]]),
        // A line may name the user by uid instead.
        ("erin", 1001, [[300_000, 1000]]),
        // Bad numbers, a zero count, a missing field: no range.
        ("carol", 1003, []),
        ("dave", 1004, []),
        ("nobody-here", 9999, []),
    ])
    func rangesOfAUser(name: String, uid: UInt32, expected: [[UInt64]]) {
        let got = Rootless.subordinateRanges(Self.file, name: name, uid: uid)
        #expect(got.map { [$0.start, $0.count] } == expected)
    }

}
