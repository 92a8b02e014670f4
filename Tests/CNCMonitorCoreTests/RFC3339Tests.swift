import CNCMonitorCore
import Foundation
import Testing

@Suite struct RFC3339Tests {
    static let golden: [(Int64, String)] = [
        (0, "1970-01-01T00:00:00.000000000Z"),
        (1, "1970-01-01T00:00:00.000000001Z"),
        (999_999_999, "1970-01-01T00:00:00.999999999Z"),
        (86_399_000_000_000, "1970-01-01T23:59:59.000000000Z"),
        (951_782_400_000_000_000, "2000-02-29T00:00:00.000000000Z"),
        (951_868_800_000_000_000, "2000-03-01T00:00:00.000000000Z"),
        (1_709_164_800_123_456_789, "2024-02-29T00:00:00.123456789Z"),
        (1_798_516_241_123_456_789, "2026-12-29T03:50:41.123456789Z"),
        (4_107_542_400_000_000_000, "2100-03-01T00:00:00.000000000Z"),
        (4_102_444_799_500_000_000, "2099-12-31T23:59:59.500000000Z"),
        (Int64.max, "2262-04-11T23:47:16.854775807Z"),
    ]

    @Test(arguments: golden)
    func formats(_ nanos: Int64, _ text: String) {
        #expect(RFC3339.format(nanos: nanos) == text)
    }

    @Test func zeroIsGosZeroTime() {
        #expect(RFC3339.formatOrZero(nanos: 0) == "0001-01-01T00:00:00Z")
        #expect(RFC3339.formatOrZero(nanos: 1) == "1970-01-01T00:00:00.000000001Z")
    }

    /// Seconds spread over 1970...2262 (a fixed LCG, so the cases are the same every run).
    static let spread: [Int64] = {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<200).map { _ in
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64(x >> 1) % (Int64.max / 1_000_000_000)
        } + [0, 59, 60, 3599, 3600, 86_399, 86_400, 68_169_599, 68_169_600, 946_684_799, 946_684_800]
    }()

    /// Date and time agree with Foundation's ISO 8601 formatter; the fraction is the nanoseconds.
    @Test(arguments: spread)
    func agreesWithFoundation(_ seconds: Int64) {
        let nanos = seconds * 1_000_000_000 + seconds % 1_000_000_000
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let foundation = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))  // ...T..:..:..Z
        let ours = RFC3339.format(nanos: nanos)
        #expect(ours.count == 30)
        #expect(ours.prefix(19) + "Z" == foundation)
        #expect(ours.dropFirst(20).prefix(9) == String(format: "%09lld", seconds % 1_000_000_000))
    }
}
