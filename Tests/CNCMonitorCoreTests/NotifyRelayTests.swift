import CNCMonitorCore
import Testing

/// What of a container's sd_notify datagram `--sdnotify=container` passes on to the unit.
@Suite struct NotifyRelayTests {
    @Test(arguments: [
        ("READY=1", "READY=1\n"),
        ("READY=1\n", "READY=1\n"),
        ("STATUS=serving on :80\nREADY=1\n", "STATUS=serving on :80\nREADY=1\n"),
        // A pid of the container's namespace would move the unit to a stranger.
        ("MAINPID=1\nREADY=1", "READY=1\n"),
        ("WATCHDOG=1", "WATCHDOG=1\n"),
        ("RELOADING=1\nMONOTONIC_USEC=123", "RELOADING=1\nMONOTONIC_USEC=123\n"),
        ("STOPPING=1\nEXTEND_TIMEOUT_USEC=5000000", "STOPPING=1\nEXTEND_TIMEOUT_USEC=5000000\n"),
        ("ERRNO=2\nBUSERROR=org.x.Failed", "ERRNO=2\nBUSERROR=org.x.Failed\n"),
    ])
    func forwards(_ datagram: String, _ expected: String) {
        #expect(NotifyRelay.forwardable(Array(datagram.utf8)).map { String(decoding: $0, as: UTF8.self) } == expected)
    }

    @Test(arguments: ["MAINPID=1", "FDSTORE=1\nFDNAME=x", "BARRIER=1", "", "\n\n", "READY", "X_CUSTOM=1", "ready=1"])
    func dropsWhatTheUnitMustNotTake(_ datagram: String) {
        #expect(NotifyRelay.forwardable(Array(datagram.utf8)) == nil)
    }

    @Test func theContainerSeesPodmansPath() {
        #expect(NotifyRelay.containerSocket == "/run/notify/notify.sock")
    }
}
