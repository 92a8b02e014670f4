import CNCImage
import Testing

/// Overlay deletions as layer tar names (the image spec's `.wh.` files).
@Suite struct WhiteoutNamesTests {
    @Test(arguments: [("motd", ".wh.motd"), ("etc/motd", "etc/.wh.motd"), ("a/b/c.d", "a/b/.wh.c.d"), ("etc/.hidden", "etc/.wh..hidden")])
    func whiteout(name: String, tarName: String) {
        #expect(WhiteoutNames.whiteout(for: name) == tarName)
    }

    @Test func opaqueMarker() {
        #expect(WhiteoutNames.opaque(in: "var/cache") == "var/cache/.wh..wh..opq")
        #expect(WhiteoutNames.opaque(in: "x") == "x/.wh..wh..opq")
    }
}
