import CNCCore
import CNCNetwork
import CNCNftables
import CNCSystem
import Foundation
import Testing

/// A temp directory removed when the test ends.
public final class TempDir: @unchecked Sendable {
    public let path: String
    public init(_ prefix: String = "cnc-img-test") throws {
        path = try FileStream.createTemporaryDirectory(in: "/tmp", prefix: prefix + "-")
    }
    deinit {
        TestRoots.removeNetworks(path)
        try? FileSystem.removeTree(path)
    }
    public func sub(_ name: String) throws -> String {
        let p = path + "/" + name
        try FileSystem.createDirectory(p)
        return p
    }
}

/// State roots of tests: `cnc run` joins the default bridge, so a root that is simply deleted
/// leaves its bridges, nft table and DNS servers behind, and the default-network pool (~20 /16s)
/// runs out after a few suites.
public enum TestRoots {
    /// Removes every network of the state root `root` (if it has any) before the root goes.
    public static func removeNetworks(_ root: String) {
        guard FileSystem.isDirectory(root + "/networks") else { return }
        let manager = NetworkManager.inProcess(root: root)
        _ = try? manager.sweep()
        for n in (try? manager.list()) ?? [] { try? manager.remove(n.name) }
    }
}

/// Runs a program to completion, returning status and output.
@discardableResult
public func run(_ tool: String, _ args: [String], stdin: Data? = nil, env: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
    // CNCSystem's spawn, both outputs polled on this thread: no Process termination watcher and
    // no reader task on the shared pool, which parallel suites can starve (a run once hung so).
    var e = ProcessInfo.processInfo.environment
    for (k, v) in env { e[k] = v }
    let r = try Spawn.capture(tool.hasPrefix("/") ? tool : "/usr/bin/env", tool.hasPrefix("/") ? args : [tool] + args,
                              environment: e.map { "\($0.key)=\($0.value)" }, stdin: stdin.map { Array($0) })
    return (r.termination.shellStatus, String(decoding: r.stdout, as: UTF8.self), String(decoding: r.stderr, as: UTF8.self))
}

/// The Fixtures directory beside the calling test file.
public func fixturesDir(_ file: StaticString = #filePath) -> String {
    URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Fixtures").path
}

public func xattr(_ path: String, _ name: String) -> String? {
    let r = try? run("python3", ["-c", "import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode(), end='')", path, name])
    guard let r, r.status == 0 else { return nil }
    return r.out
}

public func fileType(_ path: String) -> FileAttributeType? {
    (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
}
