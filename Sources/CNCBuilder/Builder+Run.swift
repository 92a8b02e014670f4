import CNCBuild
import CNCCore
import CNCImage
import CNCRuntime
import CNCSystem

/// A RUN that exited non-zero: BuildKit's words, with the last lines it printed.
struct RunFailure: Error, CustomStringConvertible {
    var command: [String]
    var status: Int32
    var tail: [String]
    var description: String {
        var text = "process \"\(command.joined(separator: " "))\" did not complete successfully: exit code: \(status)"
        if !tail.isEmpty { text += "\n" + tail.map { "  > " + $0 }.joined(separator: "\n") }
        return text
    }
}

extension Builder {
    /// The label that marks a RUN step's container with the pid of the build that made it.
    public static let buildLabel = "dev.cnc.build.pid"
    static let tailLines = 10

    /// Runs one RUN in a container of cnc's runtime (the namespaces, cgroups, seccomp profile and
    /// capabilities of `cnc run`) over the stage's layers; its overlay upper directory becomes the
    /// step's layer (nil when it changed nothing). The container is gone when this returns.
    func run(_ spec: RunSpec, step: ResolvedStep, graph: BuildGraph, state: StageState, progress shown: BuildProgress.Step?) throws -> BuiltLayer? {
        let image = state.config
        let argv = Self.argv(spec.command, heredocs: step.instruction.heredocs, shell: image.shell)
        var c = CNCRuntime.ContainerConfig(id: ContainerID.random(), name: "", image: "build", lowerDirs: try lowerDirectories(state))
        c.name = "cnc-build-" + c.id.short
        c.cmd = argv
        var env = image.env ?? []
        for (k, v) in request.arguments.predefinedRunValues.sorted(by: { $0.key < $1.key }) where !env.contains(where: { $0.hasPrefix(k + "=") }) {
            env.append("\(k)=\(v)")
        }
        for (k, v) in step.usedArgs.sorted(by: { $0.key < $1.key }) { env.append("\(k)=\(v)") }
        c.workingDir = (image.workingDir ?? "").isEmpty ? "/" : image.workingDir ?? "/"
        c.user = image.user ?? ""
        c.initProcess = true
        // A RUN's upper dir is read once, right after it exits, and worthless after a crash
        // (BuildSweep removes it): no sync of the upper fs when its overlay goes.
        c.volatileUpper = true
        c.labels = [Self.buildLabel: String(Processes.current)]
        c.extraHosts = request.extraHosts
        c.shmSize = request.shmSize
        switch spec.network ?? request.network {
        case .host: c.network = .host
        case .none: c.network = .none
        // Docker's builder (BuildKit in dockerd) runs RUN on the default bridge: `apt-get
        // install` works; the attachment goes with the step's container (removeReaped).
        case .default: c.network = .defaultBridge
        }
        var secrets = SecretMounts()
        defer { secrets.remove() }
        let (mounts, targets) = try runMounts(spec.mounts, graph: graph, secrets: &secrets)
        c.mounts = mounts
        c.env = env + secrets.env
        Trace.mark("build RUN: begins")
        // Without a sentinel (cnc-cli missing beside the runtime) a kill -9 is still cleared,
        // by the next build's sweep.
        do { try sentinel.ensureStarted() } catch { Trace.mark("build: no sentinel: \(error)") }
        // startsNext: its cgroups are made on a second thread while init is cloned.
        let created = try runtime.create(c, startsNext: true)
        var reaped = false
        defer { if !reaped { try? runtime.remove(created.id.rawValue, force: true) } }
        Trace.mark("build RUN: created")
        let (status, tail, direct) = try follow(created, progress: shown)
        // Runs before the defer above: a direct run is reaped, so it goes without a monitor to
        // wait for, once its upper directory is committed; on a thread of its own while the
        // build goes on (joined before the build returns: see finishRemovals).
        defer {
            if direct {
                reaped = true
                let runtime = self.runtime
                removals.append(Threads.start { try runtime.removeReaped(created) })
            }
        }
        Trace.mark("build RUN: exited \(status)")
        guard status == 0 else { throw RunFailure(command: argv, status: status, tail: tail) }
        let hidden = Self.mountStubs(targets, upper: runtime.store.directory(created.id) + "/upper", lowers: created.lowerDirs)
        return try commitUpper(created, hidden: ContainerChanges.runtimeMountPoints.union(hidden), state: state)
    }

    /// RUN's argv: exec form as written; shell form through the stage's SHELL, with its
    /// heredocs (a RUN that is only a heredoc runs the document as the script).
    static func argv(_ command: CommandLine, heredocs: [Heredoc], shell: [String]?) -> [String] {
        switch command {
        case .exec(let argv): return argv
        case .shell(let text):
            var script = text
            if !heredocs.isEmpty {
                let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if words.count == 1, words[0].hasPrefix("<<"), let doc = heredocs.first {
                    script = doc.body
                } else {
                    script = text + "\n" + heredocs.map { $0.body + $0.name }.joined(separator: "\n")
                }
            }
            return (shell ?? ["/bin/sh", "-c"]) + [script]
        }
    }

    /// Starts the container with its output on a pipe we read (each line to the progress, the
    /// last ones kept for an error); Ctrl-C and kill reach it while it runs. Its exit status, the
    /// last lines, and whether it ran in direct mode (reaped here: see Runtime.removeReaped).
    func follow(_ c: CNCRuntime.ContainerConfig, progress shown: BuildProgress.Step?) throws -> (Int32, [String], Bool) {
        let pipe = try Pipe()
        // An Optional, not a `let` set in do/catch: the compiler cannot initialise a
        // non-copyable `let` there. The pipe's ends close with it when a start fails.
        var startedOrNil: StartedContainer? = nil
        do {
            // Nothing outlives the build (no restart, health check or tty): the runtime's direct
            // mode, as a foreground `cnc run --rm`. The build is init's parent and reaps it; no
            // monitor process, no log file (the output comes down the pipe); the upper directory
            // stays until the build has committed it.
            // Init dies with this thread (which waits for it below), so a build killed with -9
            // takes its RUN along instead of leaving it to the next build's sweep.
            var io = StartIO(attachOut: pipe.write.raw, attachErr: pipe.write.raw, reapedByCaller: true)
            io.diesWithCaller = true
            startedOrNil = try runtime.start(c.id, io: io, config: c)
        } catch let f as Runtime.StartFailure {
            return (f.status, [f.message], false)
        }
        guard let started = startedOrNil.take() else { return (125, [], false) }
        let direct = started.isDirect
        pipe.write.close()
        let pid = started.pid
        cancellation.started(pid)
        let progress = self.progress
        let fd = pipe.read.raw
        let reader = Threads.start { () -> [String] in
            var tail: [String] = []
            var pending: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 65536)
            func emit(_ bytes: ArraySlice<UInt8>) {
                let line = String(decoding: bytes, as: UTF8.self)
                if let shown { progress.output(shown, line) }
                tail.append(line)
                if tail.count > Builder.tailLines { tail.removeFirst() }
            }
            while let n = try? FD.read(fd, into: &buf), n > 0 {
                pending += buf[0..<n]
                while let nl = pending.firstIndex(of: 10) {
                    emit(pending[..<nl])
                    pending.removeSubrange(...nl)
                }
            }
            if !pending.isEmpty { emit(pending[...]) }
            return tail
        }
        let status = started.waitForExit(runtime: runtime)
        cancellation.ended(pid)
        let tail = (try? reader.join()) ?? []
        pipe.read.close()
        return (status, tail, direct)
    }

    /// The container's upper directory as a layer (whiteouts for deletions, opaque markers for
    /// replaced directories, entries in byte order), stored and unpacked; nil when it holds no change.
    func commitUpper(_ c: CNCRuntime.ContainerConfig, hidden: Set<String>, state: StageState) throws -> BuiltLayer? {
        let upper = runtime.store.directory(c.id) + "/upper"
        let changes = ContainerChanges.changes(upper: DiskLayerTree(root: upper), lowers: c.lowerDirs.map { DiskLayerTree(root: $0) }, hidden: hidden)
        Trace.mark("build RUN: upper compared")
        if changes.isEmpty { return nil }
        let tmp = try FileStream.createTemporary(in: scratch, prefix: "layer-")
        do {
            let tar = try TarWriter(to: tmp)
            tar.mtimeClamp = request.sourceDateEpoch
            try TreeArchiver(tar).addUpperLayer(upper, skipping: hidden)
            try tar.finish()
            tmp.close()
            Trace.mark("build RUN: layer tar written")
            defer { Trace.mark("build RUN: layer stored and unpacked") }
            return try store.adoptBuiltLayer(tarPath: tmp.path, parentDiffIDs: state.diffIDs).layer
        } catch {
            tmp.close()
            try? FileSystem.remove(tmp.path)
            throw error
        }
    }

    /// RUN --mount: cache directories persist under `<root>/build-cache-mounts/` (keyed by id,
    /// else target), tmpfs is fresh, bind reads the context, secrets are files of this step
    /// alone. The mount points are no part of the layer.
    func runMounts(_ mounts: [RunMount], graph: BuildGraph, secrets: inout SecretMounts) throws -> ([MountSpec], Set<String>) {
        var out: [MountSpec] = []
        var hidden: Set<String> = []
        for m in mounts {
            if m.type == .secret {
                let before = secrets.mounts.count
                try secretMount(m, into: &secrets)
                if secrets.mounts.count > before, let target = m.target { out += secrets.mounts[before...]; hidden.insert(target) }
                continue
            }
            guard let target = m.target, target.hasPrefix("/") else {
                throw CNCError(.invalidArgument, "mount target must be an absolute path")
            }
            switch m.type {
            case .cache:
                let id = m.id ?? target
                let dir = store.paths.stateRoot + "/build-cache-mounts/" + BuildCache.key(parent: "", [id])
                try FileSystem.createDirectory(dir, mode: 0o755)
                out.append(MountSpec(type: .bind, source: dir, target: target, readOnly: m.readOnly))
            case .tmpfs:
                out.append(MountSpec(type: .tmpfs, source: "", target: target))
            case .bind:
                // from=STAGE|IMAGE: a copy of the source in that filesystem (the stage's layers
                // merged as a COPY --from reads them), rw or not.
                if m.from != nil {
                    out.append(MountSpec(type: .bind, source: try boundCopy(try bindSources(m, graph: graph), index: out.count),
                                         target: target, readOnly: m.readOnly))
                    hidden.insert(target)
                    continue
                }
                // BuildKit throws an rw bind's writes away: it binds a throwaway copy (never the
                // context itself, whose files the step could otherwise change on the host).
                let rel = try context.resolve(m.source ?? "")
                let source = try keptCopy(of: m.source ?? "", index: out.count, always: !m.readOnly)
                    ?? (rel.isEmpty ? context.tree.path : context.tree.path + "/" + rel)
                out.append(MountSpec(type: .bind, source: source, target: target, readOnly: m.readOnly))
            case .secret, .ssh:
                throw CNCError(.unsupported, "not supported yet: RUN --mount=type=ssh")
            }
            hidden.insert(target)
        }
        return (out, hidden)
    }

    /// A bind of a context directory while `.dockerignore` has patterns, or any `rw` bind
    /// (`always`): a copy of what the context keeps (modes, owners, links; read through its
    /// rooted tree) in this build's scratch directory, so the step sees the context BuildKit
    /// would have been sent (an ignored `.env` or `.git` never reaches a RUN) and an rw step's
    /// writes land in the copy, thrown away with the scratch directory. Nil otherwise (the
    /// context itself is bound, read-only).
    func keptCopy(of source: String, index: Int, always: Bool) throws -> String? {
        guard always || !context.ignore.patterns.isEmpty,
              let s = try context.select([BuildPath.clean(source)]).first, always || s.isDirectory else { return nil }
        let items = s.files.map { CopyJob.Item(relative: $0.relative, entry: $0.entry, tree: context.tree, link: $0.linkTarget) }
        return try boundCopy([CopyJob.Source(name: s.path, items: items)], index: index)
    }

    /// What a `RUN --mount=type=bind,from=STAGE|IMAGE` binds: its source in that stage's
    /// filesystem (its layers merged, as `COPY --from` reads them) or the image's.
    func bindSources(_ m: RunMount, graph: BuildGraph) throws -> [CopyJob.Source] {
        let from = m.from ?? ""
        let view: LayeredView
        if let i = try graph.stageIndexForCopy(from), let s = stages[i] {
            view = try LayeredView(directories: try lowerDirectories(s))
        } else {
            view = try LayeredView(directories: try store.prepareRootfs(try resolveImage(from)))
        }
        let rel = try view.resolve(BuildPath.clean(m.source ?? ""))
        let found = try view.select(rel)
        guard !found.isEmpty else { throw CNCError(.notFound, "\"/\(rel)\": not found in \(from)") }
        return [CopyJob.Source(name: rel, items: found.map { CopyJob.Item(relative: $0.relative, entry: $0.entry, tree: $0.layer, link: $0.link) })]
    }

    /// Copies a bind's source (modes, owners, links) into a fresh directory of this build's
    /// scratch directory; returns the path to bind (the directory, or the file in it).
    func boundCopy(_ sources: [CopyJob.Source], index: Int) throws -> String {
        // A fresh directory per bind (the files come only from the selection: no entry of it
        // can be a symlink a later file is written through).
        let dest = try FileStream.createTemporaryDirectory(in: scratch, prefix: "bind-\(index)-")
        guard let source = sources.first else { return dest }
        // A file source is copied into the fresh directory and bound as that file.
        let top = source.isDirectory ? dest : dest + "/" + BuildPath.baseName(source.name)
        var directories: [(String, RootedTree.Entry)] = []
        for item in source.items {
            let path = item.relative.isEmpty ? top : top + "/" + item.relative
            let from = BuildPath.join(source.name, item.relative)
            switch item.entry.kind {
            case .directory:
                try FileSystem.createDirectory(path, mode: 0o700)
                directories.append((path, item.entry))
            case .regular:
                let out = try FileStream.create(path, mode: 0o600)
                defer { out.close() }
                try item.tree.read(from, expect: item.entry) { try out.write($0) }
                try FileSystem.setOwner(path, uid: item.entry.uid, gid: item.entry.gid)
                try FileSystem.setMode(path, item.entry.mode)
            case .symlink:
                try FileSystem.createSymlink(item.link ?? "", at: path)
                try FileSystem.setOwner(path, uid: item.entry.uid, gid: item.entry.gid)
            case .other:
                continue
            }
        }
        // Directory modes last (a read-only directory would refuse its own entries), deepest first.
        for (path, e) in directories.reversed() {
            try FileSystem.setOwner(path, uid: e.uid, gid: e.gid)
            try FileSystem.setMode(path, e.mode)
        }
        return top
    }
}
