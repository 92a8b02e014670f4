import CNCBuild
import CNCCore
import CNCImage
import CNCOCI

/// One stage as the build goes: its layers (bottom first), image config with history, and the
/// cache key of its last step.
struct StageState: Sendable {
    var layers: [Descriptor] = []
    var diffIDs: [Digest] = []
    var image: ImageConfig
    var key: String
    /// A CMD was given in this stage (so an ENTRYPOINT after it keeps it, as BuildKit does).
    var cmdSet = false
    /// The stage's ARGs at its end: a later stage `FROM` this one inherits them.
    var scope: VariableScope?

    var config: CNCOCI.ContainerConfig {
        get { image.config ?? CNCOCI.ContainerConfig() }
        set { image.config = newValue }
    }

    mutating func append(_ layer: BuiltLayer?, history: History) {
        var h = history
        if let layer {
            layers.append(layer.descriptor)
            diffIDs.append(layer.digest)
            h.emptyLayer = nil
        } else {
            h.emptyLayer = true
        }
        image.history = (image.history ?? []) + [h]
        image.rootfs = RootFS(diffIDs: diffIDs)
        image.created = h.created
    }

    /// The environment as VariableScope wants it.
    var envPairs: [(String, String)] {
        (config.env ?? []).map { e in
            let kv = e.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(kv.first ?? ""), kv.count > 1 ? String(kv[1]) : "")
        }
    }
}
