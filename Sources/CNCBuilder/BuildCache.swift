import CNCCore
import CNCImage
import CNCOCI
import CNCSystem
import Crypto
import Foundation

/// The build cache of a state root: one file per step key under `<root>/build-cache/`, holding
/// what the step produced (its history entry and, for RUN/COPY/ADD, its layer). A step's key is
/// its parent's key + the instruction after substitution + the build args it uses + for COPY/ADD
/// the content checksum of its sources (never their times). Entries survive processes; one whose
/// layer blob is gone (image GC) is a miss.
public struct BuildCache: Sendable {
    public let directory: String

    public init(stateRoot: String) { directory = stateRoot + "/build-cache" }

    /// What a step left behind.
    public struct Entry: Codable, Sendable, Equatable {
        public var history: History
        public var layer: BuiltLayer?
    }

    /// The key of a step: SHA-256 over its parent's key and its inputs, each NUL-terminated.
    public static func key(parent: String, _ parts: [String]) -> String {
        var h = SHA256()
        for p in [parent] + parts {
            var s = p + "\0"
            s.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        }
        return h.finalize().map { String(format2: $0) }.joined()
    }

    func path(_ key: String) -> String { directory + "/" + key }

    public func lookup(_ key: String) -> Entry? { lookupWithBytes(key)?.entry }

    /// The entry and its file's bytes (what BuildResultRecord compares later).
    func lookupWithBytes(_ key: String) -> (entry: Entry, bytes: [UInt8])? {
        guard let bytes = try? FileSystem.readBytes(path(key)),
              let entry = try? JSONDecoder().decode(Entry.self, from: Data(bytes)) else { return nil }
        return (entry, bytes)
    }

    /// A hit was used: its file's mtime is its last use (`cnc system df -v`'s LAST USED).
    func used(_ key: String) { FileSystem.touch(path(key)) }

    /// Written without fsyncs (a temp file renamed over the entry: readers see all or nothing):
    /// a crash can only lose entries, which are misses, and two fsyncs cost 2-12 ms per step on
    /// a busy disk.
    public func store(_ key: String, _ entry: Entry) throws {
        try FileSystem.createDirectory(directory, mode: 0o700)
        try FileSystem.writeReplacing(try CanonicalJSON.encode(entry), to: path(key), mode: 0o600)
    }
}

extension String {
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
