import CNCCore
import Testing

@Suite struct ByteSizeTests {
    static let mib: Int64 = 1 << 20
    static let gib: Int64 = 1 << 30
    static let valid: [(String, Int64)] = [
        ("512m", 512 * mib), ("1g", gib), ("1.5GiB", 3 * gib / 2), ("100", 100),
        ("100b", 100), ("2k", 2048), ("1GB", gib), ("64MiB", 64 * mib), ("1 g", gib),
        ("0", 0), ("3T", 3 * 1024 * gib), ("1.5m", 3 * mib / 2),
    ]

    @Test(arguments: valid)
    func parsesValid(_ text: String, _ bytes: Int64) throws {
        #expect(try ByteSize(parsing: text).bytes == bytes)
    }

    @Test(arguments: ["512X", "", "m", "-1g", "1..5g", "abc", "1gg", "1e3", "0x10"])
    func rejectsInvalid(_ text: String) {
        #expect {
            try ByteSize(parsing: text)
        } throws: { error in
            (error as? CNCError)?.description == "\"\(text)\" is not a size (examples: 512m, 1g, 1.5GiB)"
        }
    }

    @Test func rejectsOverflow() {
        #expect(throws: CNCError.self) { try ByteSize(parsing: "99999999999p") }
    }

    static let described: [(Int64, String)] = [(512 * mib, "512MiB"), (3 * gib / 2, "1.5GiB"), (100, "100B"), (1536, "1.5KiB")]

    @Test(arguments: described)
    func describes(_ bytes: Int64, _ text: String) {
        #expect(ByteSize(bytes: bytes).description == text)
    }
}

@Suite struct DurationTests {
    static let valid: [(String, Int64)] = [
        ("1m30s", 90_000_000_000), ("10s", 10_000_000_000), ("500ms", 500_000_000), ("1.5h", 5_400_000_000_000),
        ("2h45m", 9_900_000_000_000), ("100us", 100_000), ("0", 0), ("1ns", 1), ("0.5s", 500_000_000), ("1µs", 1000),
    ]

    @Test(arguments: valid)
    func parsesValid(_ text: String, _ nanos: Int64) throws {
        #expect(try CNCDuration(parsing: text).nanoseconds == nanos)
    }

    @Test(arguments: [
        ("10", "\"10\" is not a duration (examples: 10s, 1m30s, 500ms, 2h): missing unit after 10"),
        ("5x", "\"5x\" is not a duration (examples: 10s, 1m30s, 500ms, 2h): unknown unit \"x\""),
        ("", "\"\" is not a duration (examples: 10s, 1m30s, 500ms, 2h)"),
        ("s", "\"s\" is not a duration (examples: 10s, 1m30s, 500ms, 2h)"),
        ("-1s", "\"-1s\" is not a duration (examples: 10s, 1m30s, 500ms, 2h)"),
    ])
    func rejectsInvalid(_ text: String, _ message: String) {
        #expect {
            try CNCDuration(parsing: text)
        } throws: { error in
            (error as? CNCError)?.description == message
        }
    }

    @Test(arguments: [("1m30s", "1m30s"), ("90s", "1m30s"), ("500ms", "500ms"), ("2h", "2h0m0s"), ("1.5s", "1.5s"), ("0", "0s")])
    func formatsLikeGo(_ text: String, _ formatted: String) throws {
        #expect(try CNCDuration(parsing: text).description == formatted)
    }
}

@Suite struct CPUQuantityTests {
    static let valid: [(String, Int64)] = [
        ("0.5", 500_000_000), ("2", 2_000_000_000), ("1.25", 1_250_000_000), ("1500m", 1_500_000_000), ("0.01", 10_000_000),
    ]

    @Test(arguments: valid)
    func parsesValid(_ text: String, _ nanos: Int64) throws {
        #expect(try CPUQuantity(parsing: text).nanoCPUs == nanos)
    }

    @Test(arguments: [
        ("0", "\"0\" is not a CPU quantity (examples: 0.5, 2, 1500m): must be greater than 0"),
        ("-1", "\"-1\" is not a CPU quantity (examples: 0.5, 2, 1500m)"),
        ("abc", "\"abc\" is not a CPU quantity (examples: 0.5, 2, 1500m)"),
        ("0.001", "\"0.001\" is not a CPU quantity (examples: 0.5, 2, 1500m): the smallest is 0.01 CPUs (10m)"),
        ("", "\"\" is not a CPU quantity (examples: 0.5, 2, 1500m)"),
        ("1.5x", "\"1.5x\" is not a CPU quantity (examples: 0.5, 2, 1500m)"),
    ])
    func rejectsInvalid(_ text: String, _ message: String) {
        #expect {
            try CPUQuantity(parsing: text)
        } throws: { error in
            (error as? CNCError)?.description == message
        }
    }

    @Test func quotaFollowsDocker() throws {
        #expect(try CPUQuantity(parsing: "0.1").cfsQuota() == 10_000)
        #expect(try CPUQuantity(parsing: "1.5").cfsQuota(periodMicros: 50_000) == 75_000)
        #expect(try CPUQuantity(parsing: "1500m").description == "1.5")
    }
}
