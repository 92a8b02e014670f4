import CNCMonitorCore
import Testing

/// The native journal protocol's datagram, byte for byte (journald itself reads it in the
/// systemd harness, SystemdJournalTests).
struct JournalSenderTests {
    @Test func plainLine() {
        let e = JournalSender.entry(.stderr, Array("oops".utf8)[...], partial: false, common: Array("CONTAINER_NAME=web\n".utf8))
        #expect(String(decoding: e, as: UTF8.self) == "MESSAGE=oops\nPRIORITY=3\nCONTAINER_NAME=web\n")
    }

    @Test func partialStdoutLine() {
        let e = JournalSender.entry(.stdout, Array("half".utf8)[...], partial: true, common: [])
        #expect(String(decoding: e, as: UTF8.self) == "MESSAGE=half\nPRIORITY=6\nCONTAINER_PARTIAL_MESSAGE=true\n")
    }

    @Test func valueWithANewlineIsLengthPrefixed() {
        let e = JournalSender.entry(.stdout, Array("a\nb".utf8)[...], partial: true, common: [])
        let expected: [UInt8] = Array("MESSAGE\n".utf8) + [3, 0, 0, 0, 0, 0, 0, 0] + Array("a\nb\n".utf8)
            + Array("PRIORITY=6\nCONTAINER_PARTIAL_MESSAGE=true\n".utf8)
        #expect(e == expected)
    }
}
