import CNCCore
import CNCPlanner
import CNCState
import CNCSystem
import Crypto
import Foundation

/// What `AppEngine.drift` found: the revision compared against and each difference.
public struct DriftReport: Sendable, Equatable {
    public var revision: Int
    /// Where that revision came from (`cncapply sync`'s repository and commit), if recorded.
    public var origin: RevisionOrigin?
    public var items: [DriftItem]
    /// The app as observed for it (callers that show the app too need not observe again).
    public var observed: ObservedApp
}

extension AppEngine {
    /// How the host differs from what the app's last successful revision left: the revision
    /// recompiled (with the digests it recorded) is planned against what runs now, through the
    /// same observation path as an apply, so it costs what a no-op apply's planning costs; every
    /// action of that plan is drift. Then the tags the revision resolved and the files it was
    /// applied from are compared with the store and the disk. nil when the app has no successful
    /// revision or was taken down.
    public func drift(project: String, tagger: any ImageTagger,
                      recompile: @Sendable (RevisionRecord) async throws -> DesiredApp) async throws -> DriftReport? {
        guard let revision = try await state.lastSucceededRevision(project: project),
              !(try await state.isDown(project: project)) else { return nil }
        let expected = try await recompile(revision)
        Trace.mark("drift: revision recompiled")
        let observed = try await observe(project: project, desired: expected)
        let plan = Planner.plan(desired: expected, observed: observed)
        Trace.mark("drift: observed and planned")
        var items = Drift.items(plan: plan, observed: observed, expected: expected)
        var current: [String: CNCCore.Digest?] = [:]
        for ref in revision.images.keys { current[ref] = try await tagger.currentDigest(of: ref) }
        items += Drift.retagged(recorded: revision.images, current: current, services: expected.services)
        items += Drift.editedFiles(recorded: revision.files, current: Self.fileDigests(Array(revision.files.keys)))
        Trace.mark("drift: tags and files compared")
        return DriftReport(revision: revision.number, origin: revision.origin, items: items, observed: observed)
    }

    /// `sha256:...` of each file's content (nil for one that cannot be read): what a revision
    /// records of the files it was applied from, and what drift compares them with.
    public static func fileDigests(_ paths: [String]) -> [String: String?] {
        var out: [String: String?] = [:]
        for path in paths {
            out[path] = FileManager.default.contents(atPath: path).map { "sha256:" + Hex.encode(Array(SHA256.hash(data: $0))) }
        }
        return out
    }
}
