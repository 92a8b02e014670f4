import CNCMonitorCore
import Testing

@Suite struct MonitorConfigTests {
    static func config(_ pairs: [String]) -> MonitorConfig {
        MonitorConfig(bytes: Array(pairs.map { $0 + "\0" }.joined().utf8))
    }

    @Test func readsPairsAndRepeatedKeys() {
        let c = Self.config(["dir", "/var/lib/cnc/containers/abc", "remove", "/bin/cnc", "remove", "rm", "remove", "-f", "tty", "1", "empty", ""])
        #expect(c.one("dir") == "/var/lib/cnc/containers/abc")
        #expect(c.all("remove") == ["/bin/cnc", "rm", "-f"])
        #expect(c.one("remove") == "-f")
        #expect(c.flag("tty"))
        #expect(c.one("empty") == "")
        #expect(c.one("missing") == nil && c.all("missing").isEmpty && !c.flag("missing"))
    }

    @Test(arguments: [("42", Int64(42)), ("-1", -1), ("", 7), ("1e3", 7), ("x", 7), ("9223372036854775808", 7)])
    func readsNumbers(_ text: String, _ value: Int64) {
        #expect(Self.config(["n", text]).int("n", 7) == value)
    }

    /// A file cut short: a key without its value's NUL still has that value; one without any
    /// value is not there.
    @Test(arguments: [("", nil), ("\0", nil), ("key", nil), ("key\0", ""), ("key\0v", "v"), ("key\0v\0", "v"), ("key\0v\0other", "v")] as [(String, String?)])
    func readsATruncatedFile(_ text: String, _ value: String?) {
        #expect(MonitorConfig(bytes: Array(text.utf8)).one("key") == value)
    }
}
