import CNCCore
@testable import CNCRuntime
import Foundation
import Testing

/// `--userns`: the modes as written, and the allocation of `auto` ranges.
struct UsernsTests {
    @Test(arguments: [
        ("host", "host"), ("", "host"), ("auto", "auto"), ("private", "auto"), ("auto:size=1000", "auto:size=1000"),
        ("auto:size=65536", "auto:size=65536"), ("0:100000:65536", "0:100000:65536"), ("0:5000:1,1:6000:100", "0:5000:1,1:6000:100"),
    ])
    func parses(_ text: String, _ canonical: String) throws {
        #expect(try UsernsMode(parsing: text).text == canonical)
    }

    @Test(arguments: [
        ("keep-id", "keep-id is only supported in rootless mode"),
        ("nomap", "nomap is only supported in rootless mode"),
        ("keep-id:uid=0", "keep-id is only supported in rootless mode"),
        ("bogus", "--userns: invalid USER mode"),
        ("0:1", "--userns: invalid USER mode"),
        ("0:1:0", "--userns: invalid USER mode"),
        ("0:4294967295:2", "--userns: invalid USER mode"),
        ("auto:size=0", "invalid --userns \"auto:size=0\": auto takes size=N (N > 0)"),
        ("auto:uidmapping=0:1:2", "invalid --userns \"auto:uidmapping=0:1:2\": auto takes size=N (N > 0)"),
        ("1:100000:10", "invalid --userns \"1:100000:10\": the container's root (id 0) must be mapped"),
        ("0:100:10,5:200:10", "invalid --userns \"0:100:10,5:200:10\": mappings overlap"),
        ("0:100:10,20:105:10", "invalid --userns \"0:100:10,20:105:10\": mappings overlap"),
    ])
    func refuses(_ text: String, _ message: String) {
        #expect(throws: CNCError(.invalidArgument, message)) { try UsernsMode(parsing: text) }
    }

    /// Rootless cnc's spellings: keep-id (with uid=/gid=) and nomap.
    @Test(arguments: [("keep-id", "keep-id"), ("keep-id:uid=200,gid=210", "keep-id:uid=200,gid=210"), ("keep-id:gid=5", "keep-id:gid=5"),
                      ("nomap", "nomap"), ("auto", "auto")])
    func parsesRootless(_ text: String, _ canonical: String) throws {
        #expect(try UsernsMode(parsing: text, rootless: true).text == canonical)
    }

    @Test func keepIDOptionsMustBeNumbers() {
        #expect(throws: CNCError(.invalidArgument, "invalid --userns \"keep-id:uid=x\": keep-id takes uid=N and gid=N")) {
            try UsernsMode(parsing: "keep-id:uid=x", rootless: true)
        }
    }

    /// `--userns auto` without a size, rootless: podman's rule from the image's ids.
    @Test func autoSizeFollowsTheImagesIDs() throws {
        let dir = NSTemporaryDirectory() + "cnc-autosize-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func layer(_ passwd: String, _ group: String = "root:x:0:\n") throws -> [String] {
            let l = dir + "/" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: l + "/etc", withIntermediateDirectories: true)
            try passwd.write(toFile: l + "/etc/passwd", atomically: false, encoding: .utf8)
            try group.write(toFile: l + "/etc/group", atomically: false, encoding: .utf8)
            if getuid() == 0 { try FileManager.default.setAttributes([.ownerAccountID: 0, .groupOwnerAccountID: 0], ofItemAtPath: l) }
            return [l]
        }
        guard getuid() == 0 else { return }  // the layers' owners count: they must be root's here
        let busyboxLike = try layer("root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/bin/false\nnobody:x:65534:65534::/home:/bin/false\n",
                                    "root:x:0:\nnogroup:x:65534:\n")
        #expect(try Runtime.autoSize(lowers: busyboxLike) == 1024)
        #expect(try Runtime.autoSize(lowers: try layer("root:x:0:0::/:/bin/sh\napp:x:1500:20::/:/bin/sh\n")) == 1501)
        #expect(try Runtime.autoSize(lowers: try layer("root:x:0:0::/:/bin/sh\n", "root:x:0:\nbig:x:3000:\n")) == 3001)
        // A file owned by a larger id than any entry counts too.
        let owned = try layer("root:x:0:0::/:/bin/sh\n")
        FileManager.default.createFile(atPath: owned[0] + "/data", contents: nil)
        #expect(chown(owned[0] + "/data", 4000, 4000) == 0)
        #expect(try Runtime.autoSize(lowers: owned) == 4001)
        #expect(throws: CNCError(.invalidArgument, "the container needs a user namespace with size 70001 that is bigger than the maximum value allowed with userns=auto 65536")) {
            try Runtime.autoSize(lowers: try layer("root:x:0:0::/:/bin/sh\nhuge:x:70000:0::/:/bin/sh\n"))
        }
    }

    @Test func firstFitFillsGapsAndStopsAtTheEnd() {
        typealias A = UsernsRanges.Allocation
        #expect(UsernsRanges.firstFit([], size: 10, poolSize: 100) == 0)
        let taken = [A(offset: 0, size: 10, id: "a"), A(offset: 30, size: 10, id: "b")]
        #expect(UsernsRanges.firstFit(taken, size: 20, poolSize: 100) == 10)
        #expect(UsernsRanges.firstFit(taken, size: 21, poolSize: 100) == 40)
        #expect(UsernsRanges.firstFit(taken, size: 61, poolSize: 100) == nil)
        #expect(UsernsRanges.firstFit([A(offset: 5, size: 10, id: "a")], size: 5, poolSize: 100) == 0)
    }

    @Test func allocationsAreDisjointAndFreedOnRelease() throws {
        let root = NSTemporaryDirectory() + "cnc-userns-\(ContainerID.random().short)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ranges = UsernsRanges(root: root, pool: .init(uidStart: 1000, gidStart: 5000, size: 300))
        let a = ContainerID.random(), b = ContainerID.random(), c = ContainerID.random()
        let ma = try ranges.allocate(a, size: 100)
        let mb = try ranges.allocate(b, size: 100)
        #expect(ma.uid == [IDMap(containerID: 0, hostID: 1000, size: 100)])
        #expect(ma.gid == [IDMap(containerID: 0, hostID: 5000, size: 100)])
        #expect(mb.uid == [IDMap(containerID: 0, hostID: 1100, size: 100)])
        #expect(throws: CNCError.self) { try ranges.allocate(c, size: 101) }
        ranges.release(a)
        // a's slice is free again, b's stays b's.
        #expect(try ranges.allocate(c, size: 100).uid == [IDMap(containerID: 0, hostID: 1000, size: 100)])
        #expect(ranges.allocations().map(\.id).sorted() == [b.rawValue, c.rawValue].sorted())
    }

    @Test func sliceOfAContainerThatIsGoneIsGivenBack() throws {
        let root = NSTemporaryDirectory() + "cnc-userns-\(ContainerID.random().short)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pool = UsernsRanges.Pool(uidStart: 1000, gidStart: 1000, size: 200)
        let gone = ContainerID.random(), live = ContainerID.random(), next = ContainerID.random()
        _ = try UsernsRanges(root: root, pool: pool).allocate(gone, size: 100)
        _ = try UsernsRanges(root: root, pool: pool).allocate(live, size: 100)
        let ranges = UsernsRanges(root: root, pool: pool) { $0 != gone.rawValue }
        #expect(try ranges.allocate(next, size: 100).uid.first?.hostID == 1000)
        #expect(ranges.allocations().map(\.id).sorted() == [live.rawValue, next.rawValue].sorted())
    }

    @Test func poolComesFromTheCncEntryOfSubuidAndSubgid() throws {
        let dir = NSTemporaryDirectory() + "cnc-subid-\(ContainerID.random().short)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "alice:100000:65536\ncnc:2000000:131072\n".write(toFile: dir + "/subuid", atomically: true, encoding: .utf8)
        try "cnc:3000000:65536\n".write(toFile: dir + "/subgid", atomically: true, encoding: .utf8)
        #expect(UsernsRanges.hostPool(subuid: dir + "/subuid", subgid: dir + "/subgid") == .init(uidStart: 2_000_000, gidStart: 3_000_000, size: 65536))
        #expect(UsernsRanges.hostPool(subuid: dir + "/subuid", subgid: dir + "/none") == .default)
    }
}
