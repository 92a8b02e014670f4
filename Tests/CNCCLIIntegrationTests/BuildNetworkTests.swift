import CNCCore
import CNCNetwork
import Foundation
import Testing

/// RUN's network, as docker build's `--network`: `default` (what a build gets unless told) is
/// the default bridge, with an address and a route out; `none` is loopback only; the step's
/// attachment goes with its container.
@Suite(.serialized) struct BuildNetworkTests {
    static let dockerfile = """
        FROM bb:1
        RUN ls /sys/class/net | sort | tr '\\n' ' ' > /ifaces; \\
            gw=$(ip route | awk '/^default/ {print $3}'); \\
            if [ -n "$gw" ] && ping -c 1 -W 5 "$gw" > /dev/null; then echo reached > /gateway; else echo unreachable > /gateway; fi
        CMD ["cat", "/ifaces", "/gateway"]
        """

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func runJoinsTheDefaultBridgeUnlessNone() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", ["Dockerfile": Self.dockerfile])
        let b = try r.cnc(["build", "--no-cache", "-t", "net:default", ctx])
        #expect(b.status == 0, "\(b.stderr)")
        let shown = try r.cnc(["run", "--rm", "--network", "none", "net:default"])
        #expect(shown.stdout == "eth0 lo reached\n", "\(shown.stdout) \(shown.stderr)")
        // The step's attachment went with its container.
        #expect(try NetworkManager(root: r.root).endpoints(NetworkManager.defaultNetworkName).isEmpty)

        let none = try r.cnc(["build", "--no-cache", "--network", "none", "-t", "net:none", ctx])
        #expect(none.status == 0, "\(none.stderr)")
        let isolated = try r.cnc(["run", "--rm", "--network", "none", "net:none"])
        #expect(isolated.stdout == "lo unreachable\n", "\(isolated.stdout) \(isolated.stderr)")
        try BuildCLITests.expectClean(r)
    }
}
