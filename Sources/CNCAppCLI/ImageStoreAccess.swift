import CNCCore
import CNCImage
import CNCOCI
import CNCRuntime
import CNCState
import CNCSystem

extension GlobalOptions {
    /// The image store under the state root (for commands that never remove images).
    public func imageStore() throws -> ImageStore { try ImageStore(stateRoot: stateRoot) }

    /// The store for rmi and prune: the images and layers of every container in this root
    /// (running or not, made by `cnc run` or by an apply) and of every kept revision (rollback
    /// needs them) are in use and survive.
    public func imageStoreForRemoval() async throws -> ImageStore {
        let dbPath = stateRoot + "/state.db"
        var digests = Set<Digest>()
        if FileSystem.exists(dbPath) {
            let db = try StateDB(path: dbPath)
            for s in try await db.protectedImageDigests() { if let d = try? Digest(s) { digests.insert(d) } }
            for app in try await db.apps() {
                for c in try await db.containers(project: app.project) {
                    if let s = c.imageDigest, let d = try? Digest(s) { digests.insert(d) }
                }
            }
        }
        var chains = Set<Digest>()
        let containers = ContainerStore(root: stateRoot)
        for id in containers.ids() {
            guard let c = try? containers.loadConfig(id) else { continue }
            if let s = c.imageID, let d = try? Digest(s) { digests.insert(d) }
            // Lower dirs are <root>/layers/<chain ID hex>.
            for dir in c.lowerDirs { if let d = try? Digest(algorithm: .sha256, encoded: FileSystem.baseName(dir)) { chains.insert(d) } }
        }
        let inUse = InUseSet(imageDigests: digests, chainIDs: chains)
        return try ImageStore(stateRoot: stateRoot, inUse: { inUse })
    }
}

/// Shared text helpers for image commands.
public enum ImageText {
    /// Docker's human sizes: decimal units, 3 significant digits ("4.86MB").
    public static func size(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var v = Double(bytes)
        var i = 0
        while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
        if i == 0 { return "\(bytes)B" }
        let digits = v >= 100 ? 0 : (v >= 10 ? 1 : 2)
        var s = String(format: "%.\(digits)f", v)
        if s.contains(".") { while s.hasSuffix("0") { s.removeLast() }; if s.hasSuffix(".") { s.removeLast() } }
        return s + units[i]
    }

    /// "3 minutes ago" from an RFC 3339 time.
    public static func since(_ created: String?) -> String {
        guard let created, let date = parseTime(created) else { return "N/A" }
        return Units.humanDuration(seconds: Date().timeIntervalSince(date)) + " ago"
    }

    public static func parseTime(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: s) { return d }
        // Go's RFC3339Nano with more than 3 fraction digits.
        if let dot = s.firstIndex(of: "."), let end = s[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            return f.date(from: String(s[..<dot]) + String(s[end...]))
        }
        return nil
    }

}

import Foundation
