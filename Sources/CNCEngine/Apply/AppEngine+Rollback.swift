import CNCCore
import CNCPlanner
import CNCState

/// The image store as rollback needs it: what a tag points to now, and moving it back.
public protocol ImageTagger: Sendable {
    /// The digest `reference` resolves to in the local store, if it is there.
    func currentDigest(of reference: String) async throws -> Digest?
    /// Points `reference` at `digest` (recorded in the tag history).
    func retag(_ reference: String, to digest: Digest) async throws
}

extension AppEngine {
    /// Restores revision `number` of `project`: re-points every image tag it names to the digest
    /// the tag had then, and applies its spec as a new revision. With `services`, only those
    /// services go back; the others keep the current spec (`current`).
    public func rollback(
        project: String, to number: Int?, services: [String] = [], current: DesiredApp?, tagger: any ImageTagger,
        options: PlanOptions = PlanOptions(), dryRun: Bool = false,
        recompile: @Sendable (RevisionRecord) async throws -> DesiredApp,
        onPlan: @Sendable (Plan) -> Void = { _ in }
    ) async throws -> ApplyResult {
        let revisions = try await state.revisions(project: project)
        guard let latest = revisions.last else {
            throw CNCError(.notFound, "app \(project) has no revisions to roll back to")
        }
        let target: RevisionRecord
        if let number {
            guard let r = revisions.first(where: { $0.number == number }) else {
                let kept = revisions.map { String($0.number) }.joined(separator: ", ")
                throw CNCError(.notFound, "app \(project) has no revision \(number) (kept: \(kept))")
            }
            target = r
        } else {
            // The revision before the newest successful one.
            guard let r = revisions.last(where: { $0.outcome == .succeeded && $0.number < latest.number }) else {
                throw CNCError(.notFound, "app \(project) has no earlier successful revision to roll back to")
            }
            target = r
        }
        var desired = try await recompile(target)
        if !services.isEmpty {
            let unknown = services.filter { s in !desired.services.contains { $0.name == s } }
            guard unknown.isEmpty else {
                throw CNCError(.notFound, "revision \(target.number) of \(project) has no service \(unknown.joined(separator: ", "))")
            }
            var merged = current ?? desired
            for name in services {
                // Safe: checked above that revision's desired has each name.
                guard let old = desired.services.first(where: { $0.name == name }) else { continue }
                merged.services.removeAll { $0.name == name }
                merged.services.append(old)
            }
            desired = merged
        }
        // Re-point the tags the chosen services use to the digests they had then.
        let wanted = Set(desired.services.filter { services.isEmpty || services.contains($0.name) }.map(\.image))
        for (reference, digestText) in target.images.sorted(by: { $0.key < $1.key }) where wanted.contains(reference) {
            let digest = try Digest(digestText)
            if try await tagger.currentDigest(of: reference) != digest {
                if !dryRun { try await tagger.retag(reference, to: digest) }
                progress(.note("\(reference): re-pointed to \(digest.short)"))
            }
        }
        var request = ApplyRequest(desired: desired, spec: target.spec, options: options, dryRun: dryRun,
                                   reason: "rollback to \(target.number)")
        if !services.isEmpty { request.reason += " (\(services.joined(separator: ", ")))" }
        // The files the target was applied from: a spec on disk that moved on since shows as drift.
        let files = services.isEmpty ? target.files : [:]
        request.files = { files }
        return try await apply(request, recompile: recompile, onPlan: onPlan)
    }
}
