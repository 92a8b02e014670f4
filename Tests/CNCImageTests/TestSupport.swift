import CNCCore
import CNCSystem
import Foundation
import Testing

/// A temp directory removed when the test ends.
final class TempDir: @unchecked Sendable {
    let path: String
    init(_ prefix: String = "cnc-img-test") throws {
        path = try FileStream.createTemporaryDirectory(in: "/tmp", prefix: prefix + "-")
    }
    deinit { try? FileSystem.removeTree(path) }
    func sub(_ name: String) throws -> String {
        let p = path + "/" + name
        try FileSystem.createDirectory(p)
        return p
    }
}

/// Runs a program to completion, returning status and output.
@discardableResult
func run(_ tool: String, _ args: [String], stdin: Data? = nil, env: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tool.hasPrefix("/") ? tool : "/usr/bin/env")
    p.arguments = tool.hasPrefix("/") ? args : [tool] + args
    var e = ProcessInfo.processInfo.environment
    for (k, v) in env { e[k] = v }
    p.environment = e
    let out = Foundation.Pipe(), err = Foundation.Pipe()
    p.standardOutput = out
    p.standardError = err
    let inPipe = Foundation.Pipe()
    if stdin != nil { p.standardInput = inPipe }
    try p.run()
    if let stdin {
        inPipe.fileHandleForWriting.write(stdin)
        try inPipe.fileHandleForWriting.close()
    }
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// The directory of this test file's fixtures.
let fixturesDir: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

func xattr(_ path: String, _ name: String) -> String? {
    let r = try? run("python3", ["-c", "import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode(), end='')", path, name])
    guard let r, r.status == 0 else { return nil }
    return r.out
}

func fileType(_ path: String) -> FileAttributeType? {
    (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
}
