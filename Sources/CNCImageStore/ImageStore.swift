import CNCCore
import CNCOCI
import CNCSystem
import Foundation

/// The image store: an OCI image layout under <stateRoot>/images (skopeo and umoci read it),
/// the unpacked-layer cache under <stateRoot>/layers, and the tag history.
///
/// Concurrency: blobs are content-addressed and published by rename, so writers never clash;
/// index.json and the tag history change only under an flock (images.lock); GC takes the ingest
/// lock exclusively, so it never deletes blobs of an import/pull/load still in progress.
public final class ImageStore: @unchecked Sendable {
    // @unchecked: immutable after init; all mutable state is on disk behind flocks.
    public let paths: ImageStorePaths
    package let inUse: @Sendable () throws -> InUseSet

    /// Opens (creating if needed) the store under `stateRoot`. `inUse` tells GC what containers
    /// use; the engine supplies it (default: nothing).
    public init(stateRoot: String, inUse: @escaping @Sendable () throws -> InUseSet = { InUseSet() }) throws {
        paths = ImageStorePaths(stateRoot: stateRoot)
        self.inUse = inUse
        do {
            try FileSystem.createDirectory(paths.blobs, mode: 0o755)
            try FileSystem.createDirectory(paths.layers, mode: 0o700)
            try FileSystem.createDirectory(paths.tmp, mode: 0o700)
            let marker = paths.images + "/oci-layout"
            if !FileSystem.exists(marker) {
                try FileSystem.writeAtomically(try CanonicalJSON.encode(ImageLayoutMarker()), to: marker)
            }
            if !FileSystem.exists(paths.index) {
                try FileLock.withLock(paths.indexLock) {
                    if !FileSystem.exists(paths.index) { try writeIndex(Index()) }
                }
            }
        } catch {
            throw CNCError.wrap(error, "failed to open image store at \(paths.images)")
        }
    }

    // MARK: blobs

    public func hasBlob(_ d: Digest) -> Bool { FileSystem.exists(paths.blob(d)) }

    /// The content of a (small) blob, verified against its digest.
    public func readBlob(_ d: Digest) throws -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try FileSystem.readBytes(paths.blob(d)) } catch {
            throw CNCError.wrap(error, "failed to read blob \(d)")
        }
        guard SHA256Hasher.digest(bytes) == d else {
            throw CNCError(.integrity, "blob \(d) in the store is corrupt (content does not match its digest)")
        }
        return bytes
    }

    package func decodeBlob<T: Decodable>(_ type: T.Type, _ d: Digest) throws -> T {
        let bytes = try readBlob(d)
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch {
            throw CNCError(.integrity, "failed to decode \(T.self) blob \(d)", cause: String(describing: error))
        }
    }

    public func manifest(_ d: Digest) throws -> Manifest { try decodeBlob(Manifest.self, d) }
    public func imageConfig(_ d: Digest) throws -> ImageConfig { try decodeBlob(ImageConfig.self, d) }

    // MARK: index.json

    public func readIndex() throws -> Index {
        guard FileSystem.exists(paths.index) else { return Index() }
        do {
            return try JSONDecoder().decode(Index.self, from: Data(try FileSystem.readBytes(paths.index)))
        } catch {
            throw CNCError.wrap(error, "failed to read \(paths.index)")
        }
    }

    package func writeIndex(_ index: Index) throws {
        try FileSystem.writeAtomically(try CanonicalJSON.encode(index, pretty: true), to: paths.index)
    }

    /// Reads index.json and the tag history under the index lock, lets `body` change them, and
    /// writes back what changed (each atomically).
    package func updateIndex<T>(_ body: (inout Index, inout [TagMove]) throws -> T) throws -> T {
        try FileLock.withLock(paths.indexLock) {
            var index = try readIndex()
            let before = index
            var moves: [TagMove] = []
            let result = try body(&index, &moves)
            if index != before { try writeIndex(index) }
            if !moves.isEmpty {
                var history = try readTagHistoryUnlocked()
                history.moves += moves
                try FileSystem.writeAtomically(try CanonicalJSON.encode(history, pretty: true), to: paths.tagHistory)
            }
            return result
        }
    }

    package func readTagHistoryUnlocked() throws -> TagHistoryFile {
        guard FileSystem.exists(paths.tagHistory) else { return TagHistoryFile() }
        do {
            return try JSONDecoder().decode(TagHistoryFile.self, from: Data(try FileSystem.readBytes(paths.tagHistory)))
        } catch {
            throw CNCError.wrap(error, "failed to read tag history \(paths.tagHistory)")
        }
    }

    /// A shared hold on the ingest lock for the duration of a write that adds blobs (GC waits).
    package func ingestHold() throws -> FileLock { try FileLock(path: paths.ingestLock, exclusive: false) }

    public static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }

    /// A Unix time as the image config writes it (RFC 3339, UTC, whole seconds: `SOURCE_DATE_EPOCH`).
    public static func timestamp(epoch: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(epoch)))
    }
}
