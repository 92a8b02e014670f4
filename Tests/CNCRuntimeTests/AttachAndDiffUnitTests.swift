import CNCCore
import CNCSystem
import Testing
@testable import CNCRuntime

@Suite struct DetachKeysTests {
    @Test(arguments: [
        ("ctrl-p,ctrl-q", [UInt8(16), 17]),
        ("ctrl-a", [1]),
        ("a,b", [97, 98]),
        ("ctrl-@,ctrl-z,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", [0, 26, 27, 28, 29, 30, 31]),
        ("DEL", [127]),
        ("ctrl-x,x", [24, 120]),
    ])
    func parsesDockersSyntax(text: String, bytes: [UInt8]) throws {
        #expect(try DetachKeys.parse(text) == bytes)
    }

    @Test(arguments: ["ctrl-P", "ctrl-1", "foo", "ctrl-p,", "", "ctrl-"])
    func refusesWithDockersWords(text: String) {
        #expect(throws: CNCError.self) { try DetachKeys.parse(text) }
        do { _ = try DetachKeys.parse(text) } catch let e as CNCError {
            #expect(e.message == "Invalid detach keys (\(text)) provided")
        } catch {}
    }

    @Test func escapeMatcherDetachesOnTheSequenceTypedKeyByKey() {
        var m = EscapeMatcher(keys: DetachKeys.defaultSequence)
        #expect(m.feed([104]) == [104])
        #expect(m.feed([16]) == [])
        #expect(m.feed([17]) == nil)
    }

    @Test func escapeMatcherPassesOnABrokenPrefixWithTheByteThatBrokeIt() {
        var m = EscapeMatcher(keys: [16, 17])
        #expect(m.feed([16]) == [])
        #expect(m.feed([120]) == [16, 120])
        // Matching starts over after a break.
        #expect(m.feed([16]) == [])
        #expect(m.feed([17]) == nil)
    }

    @Test func escapeMatcherIgnoresTheSequenceInsideLongerReads() {
        // A paste (one read of several bytes) never detaches, as with Docker's escape proxy.
        var m = EscapeMatcher(keys: [16, 17])
        #expect(m.feed([16, 17]) == [16, 17])
        #expect(m.feed([16]) == [])
        #expect(m.feed([1, 2]) == [16, 1, 2])
        var none = EscapeMatcher(keys: [])
        #expect(none.feed([16]) == [16])
    }
}

/// A layer as a table: path -> entry (directories implied by their children's paths).
struct TableTree: LayerTree {
    var entries: [String: FileSystem.EntryInfo]
    var opaque: Set<String> = []

    static func dir(_ mtime: Int64 = 1, perm: UInt32 = 0o755) -> FileSystem.EntryInfo {
        FileSystem.EntryInfo(kind: .directory, permissions: perm, size: 4096, mtimeSeconds: mtime, mtimeNanos: 5)
    }
    static func file(_ size: Int64 = 1) -> FileSystem.EntryInfo { FileSystem.EntryInfo(kind: .regular, permissions: 0o644, size: size) }
    static let whiteout = FileSystem.EntryInfo(kind: .charDevice, permissions: 0, size: 0)

    func names(in path: String) -> [String] {
        let prefix = path == "/" ? "/" : path + "/"
        return entries.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
            .map { String($0.dropFirst(prefix.count)) }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
    func info(_ path: String) -> FileSystem.EntryInfo? { entries[path] }
    func isOpaque(_ path: String) -> Bool { opaque.contains(path) }
}

@Suite struct ContainerChangesTests {
    let lower = TableTree(entries: [
        "/bin": TableTree.dir(), "/bin/ls": TableTree.file(), "/bin/sh": TableTree.file(),
        "/etc": TableTree.dir(), "/etc/motd": TableTree.file(), "/etc/passwd": TableTree.file(),
        "/tmp": TableTree.dir(), "/var": TableTree.dir(), "/var/cache": TableTree.dir(), "/var/cache/old": TableTree.file(),
        "/usr": TableTree.dir(), "/usr/lib": TableTree.dir(), "/usr/lib/x": TableTree.file(),
    ])

    @Test func listsDockersOverlayChangesInWalkOrder() {
        let upper = TableTree(entries: [
            "/bin": TableTree.dir(2), "/bin/ls": TableTree.whiteout,
            "/etc": TableTree.dir(2), "/etc/motd": TableTree.file(3),
            "/tmp": TableTree.dir(2), "/tmp/x": TableTree.file(), "/tmp/B": TableTree.file(), "/tmp/a": TableTree.dir(), "/tmp/a/b": TableTree.file(),
            "/var": TableTree.dir(2), "/var/cache": TableTree.dir(2), "/var/cache/new": TableTree.file(),
            // Copied up only because something below changed (same size, mode, mtime): not listed,
            // so its added child brings it in as C.
            "/usr": TableTree.dir(), "/usr/lib": TableTree.dir(), "/usr/lib/new": TableTree.file(),
            "/new": TableTree.dir(), "/new/f": TableTree.file(),
        ], opaque: ["/var/cache"])
        let got = ContainerChanges.changes(upper: upper, lowers: [lower]).map(\.description)
        #expect(got == [
            "C /bin", "D /bin/ls",
            "C /etc", "C /etc/motd",
            "A /new", "A /new/f",
            "C /tmp", "A /tmp/B", "A /tmp/a", "A /tmp/a/b", "A /tmp/x",
            "C /usr/lib", "A /usr/lib/new",
            "C /var", "D /var/cache", "A /var/cache/new",
        ])
    }

    @Test func leavesOutTheRuntimesMountPoints() {
        // /etc copied up only for the hosts files cnc-init mounts over: no change at all.
        let upper = TableTree(entries: [
            "/etc": TableTree.dir(9), "/etc/hosts": TableTree.file(0), "/etc/hostname": TableTree.file(0), "/etc/resolv.conf": TableTree.file(0),
            "/proc": TableTree.dir(), "/sys": TableTree.dir(), "/dev": TableTree.dir(),
        ])
        #expect(ContainerChanges.changes(upper: upper, lowers: [lower]).isEmpty)
        // Something else changed there: the directory is listed as Docker lists it.
        var more = upper
        more.entries["/etc/new"] = TableTree.file()
        #expect(ContainerChanges.changes(upper: more, lowers: [lower]).map(\.description) == ["C /etc", "A /etc/new"])
    }

    @Test func aPathInAnyLowerLayerIsAChange() {
        let top = TableTree(entries: ["/opt": TableTree.dir(), "/opt/app": TableTree.file()])
        let upper = TableTree(entries: ["/opt": TableTree.dir(), "/opt/app": TableTree.file(7), "/opt/new": TableTree.file()])
        #expect(ContainerChanges.changes(upper: upper, lowers: [top, lower]).map(\.description) == ["C /opt/app", "C /opt", "A /opt/new"])
    }
}
