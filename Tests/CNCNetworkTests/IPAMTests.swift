import CNCCore
import CNCNetwork
import Foundation
import Testing

@Suite struct IPAMTests {
    @Test func releasedAddressesAreNotHandedOutAgainAtOnce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnc-ipam-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // /29: hosts .1-.6, gateway .1 -> .2 ... .6 assignable.
        let ipam = IPAM(directory: dir, subnet: try IPv4Subnet("10.200.0.0/29"), gateway: IPv4Address("10.200.0.1"))
        let a = try ipam.claim(for: "a"), b = try ipam.claim(for: "b")
        #expect(a.description == "10.200.0.2" && b.description == "10.200.0.3")
        try ipam.release(a)
        // A replacement of `a` gets a fresh address, not the one peers may still have cached.
        #expect(try ipam.claim(for: "a2").description == "10.200.0.4")
        #expect(try ipam.claim(for: "c").description == "10.200.0.5")
        #expect(try ipam.claim(for: "d").description == "10.200.0.6")
        // Wrapping around finds the released one; then the subnet is full.
        #expect(try ipam.claim(for: "e").description == "10.200.0.2")
        #expect(throws: CNCError.self) { try ipam.claim(for: "f") }
        #expect(try ipam.leases().count == 5)
    }
}
