@testable import CNCCgroups
import CNCCore
@testable import CNCSystemd
import Foundation
import Glibc
import Testing

/// SDBusClient through a bus daemon, as rootless cnc reaches a user's systemd manager when
/// $XDG_RUNTIME_DIR/bus is its only socket. Issue 16: the client took any address other than
/// the system bus's for a direct peer and sent no Hello, and the daemon closed the connection at
/// the first call to org.freedesktop.systemd1 (ECONNRESET, then ENOTCONN).
@Suite struct SDBusBusDaemonTests {
    @Test func onlySystemdsPrivateSocketsAreDirectPeers() {
        #expect(SDBusClient.isManagerSocket("unix:path=/run/systemd/private"))
        #expect(SDBusClient.isManagerSocket("unix:path=/run/user/1000/systemd/private"))
        #expect(!SDBusClient.isManagerSocket("unix:path=/run/user/1000/bus"))
        #expect(!SDBusClient.isManagerSocket("unix:path=/run/dbus/system_bus_socket"))
    }

    /// A real dbus-daemon (started here, on a socket in a temp dir) with no systemd on it: a
    /// registered client's call is routed, and the daemon answers that nothing provides
    /// org.freedesktop.systemd1; an unregistered one is disconnected instead.
    @Test func aCallThroughABusDaemonIsRoutedNotDropped() throws {
        let dir = NSTemporaryDirectory() + "cnc-sdbus-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let address = "unix:path=\(dir)/bus"
        // A session bus without service directories: nothing to activate, an answer at once.
        let config = """
            <busconfig><type>session</type><listen>\(address)</listen><auth>EXTERNAL</auth>
            <policy context="default"><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy></busconfig>
            """
        try config.write(toFile: dir + "/bus.conf", atomically: true, encoding: .utf8)
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
        daemon.arguments = ["--config-file=" + dir + "/bus.conf", "--nofork", "--nopidfile"]
        try daemon.run()
        // (dbus-daemon --session does not exit on SIGTERM)
        defer { kill(daemon.processIdentifier, SIGKILL); daemon.waitUntilExit() }
        var tries = 0
        while !FileManager.default.fileExists(atPath: dir + "/bus") && tries < 1000 { usleep(10_000); tries += 1 }
        #expect(FileManager.default.fileExists(atPath: dir + "/bus"), "dbus-daemon made no socket")

        let problem = SDBusClient(address: address).problem() ?? "no problem"
        #expect(problem.contains("ServiceUnknown") && problem.contains("org.freedesktop.systemd1"), "\(problem)")
        #expect(!problem.contains("reset") && !problem.contains("not connected"), "\(problem)")
    }
}
