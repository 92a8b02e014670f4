import CNCCore
import CNCImage
import CNCOCI
import CNCSystem

/// A store in a temp state root with a busybox image imported as `ref`.
public struct StoreFixture {
    public let dir: TempDir
    public let store: ImageStore
    public let tar: String

    public init(inUse: @escaping @Sendable () throws -> InUseSet = { InUseSet() }) throws {
        dir = try TempDir("cnc-store")
        store = try ImageStore(stateRoot: dir.path + "/root", inUse: inUse)
        tar = dir.path + "/busybox.tar"
        try BusyboxRootfs.writeTar(to: tar)
    }

    @discardableResult
    public func importBusybox(_ ref: String?, changes: [String] = []) throws -> ResolvedImage {
        var o = ImportOptions(reference: try ref.map { try ImageReference(parsing: $0) }, platform: Platform(architecture: "amd64", os: "linux"))
        o.changes = changes
        return try store.importRootfs(from: try FileStream.openForReading(tar), options: o, sourceName: "busybox.tar")
    }

    public func blobCount() throws -> Int { try FileSystem.listDirectory(store.paths.blobs).count }
}
