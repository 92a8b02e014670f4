import CNCBuild
import CNCImage
import CNCOCI

extension Builder {
    /// `COPY --link`: its layer depends only on its own inputs (sources, destination, WORKDIR,
    /// flags), never on the layers below, so it is also cached under a key without the parent's:
    /// after a change to an earlier step the same layer blob is reused instead of written again.
    func linkedLayer(_ job: CopyJob, inputs: [String], state: StageState) throws -> BuiltLayer? {
        let key = BuildCache.key(parent: "link", inputs + ["workdir=" + (state.config.workingDir ?? "/")])
        if !request.noCache, let hit = cache.lookup(key), usable(hit, state) {
            cache.used(key)
            return hit.layer
        }
        let layer = try job.execute(state: state)
        try cache.store(key, BuildCache.Entry(history: History(created: now, createdBy: "link", comment: "buildkit.dockerfile.v0"), layer: layer))
        return layer
    }
}
