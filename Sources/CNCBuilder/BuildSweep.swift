import CNCCore
import CNCRuntime
import CNCSystem

/// What a killed build (kill -9, a crash) leaves behind is cleared by the next build: RUN
/// containers whose build process is gone, and scratch directories of dead builds.
public enum BuildSweep {
    static func scratchRoot(_ stateRoot: String) -> String { stateRoot + "/build-tmp" }

    /// `<root>/build-tmp/<pid>-XXXXXX`, private to this build.
    static func makeScratch(stateRoot: String) throws -> String {
        let root = scratchRoot(stateRoot)
        try FileSystem.createDirectory(root, mode: 0o700)
        return try FileStream.createTemporaryDirectory(in: root, prefix: "\(Processes.current)-")
    }

    /// Removes the RUN containers and scratch directories of builds that no longer run; with
    /// `owner` (a build's sentinel, once that build died), only that build's.
    public static func sweep(runtime: Runtime, stateRoot: String, owner: Int32? = nil) {
        func swept(_ pid: Int32) -> Bool { owner.map { $0 == pid } ?? !Processes.isAlive(pid) }
        // Labels are in the summaries: no container's full state is decoded (every build sweeps).
        for (c, _) in runtime.store.summaries() {
            guard let pid = c.labels[Builder.buildLabel].flatMap(Int32.init), swept(pid) else { continue }
            try? runtime.remove(c.id.rawValue, force: true)
        }
        let root = scratchRoot(stateRoot)
        for name in (try? FileSystem.listDirectory(root)) ?? [] {
            guard let pid = name.split(separator: "-").first.flatMap({ Int32($0) }), swept(pid) else { continue }
            try? FileSystem.removeTree(root + "/" + name)
        }
    }
}
