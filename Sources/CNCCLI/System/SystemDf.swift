import CNCAppCLI
import ArgumentParser
import CNCBuilder
import CNCCore
import CNCImage
import CNCRuntime
import CNCSystem

/// `cnc system df`: disk used by images, containers, local volumes and the build cache, as
/// docker shows it; `-v` lists each. The build cache's reclaimable size is what
/// `cnc builder prune --all` takes.
struct SystemDf: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "df", abstract: "Show docker-style disk usage.",
        discussion: "EXAMPLES\n  cnc system df\n  cnc system df -v\n  cnc system df --format json")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("v"), .long], help: "Show detailed information on space usage.") var verbose = false
    @Option(name: .long, help: "Format output using a Go template ('json': one object per line).") var format: String?

    /// One row of the summary: counts and sizes (bytes).
    struct Usage {
        var type: String
        var total: Int
        var active: Int
        var size: Int64
        var reclaimable: Int64
        /// Docker prints the reclaimable share only for these (not the build cache).
        var percent = true

        var row: JSONValue {
            var reclaim = Units.humanSize(reclaimable)
            if percent && size > 0 { reclaim += " (\(reclaimable * 100 / size)%)" }
            return .object(["Type": .string(type), "TotalCount": .string(String(total)), "Active": .string(String(active)),
                            "Size": .string(Units.humanSize(size)), "Reclaimable": .string(reclaim)])
        }
    }

    func run() throws {
        try dockerErrors {
            let r = try global.runtime()
            let containers = r.list()
            let store = try global.imageStore()
            // Images: distinct IDs; sizes count each layer blob once (layers are shared).
            var images: [Digest: ResolvedImage] = [:]
            for s in try store.list() where images[s.id] == nil { images[s.id] = try? store.resolve(s.id.description) }
            let usedIDs = Set(containers.compactMap { $0.config.imageID })
            func layerBytes(_ imgs: some Sequence<ResolvedImage>) -> Int64 {
                var seen: [Digest: Int64] = [:]
                for i in imgs { for l in i.manifest.layers { seen[l.digest] = l.size } }
                return seen.values.reduce(0, +)
            }
            let activeImages = images.values.filter { usedIDs.contains($0.id.description) || usedIDs.contains($0.id.encoded) }
            let imageSize = layerBytes(images.values)
            let sizes = Dictionary(containers.map { ($0.config.id, FileSystem.diskUsage($0.directory + "/upper")) }, uniquingKeysWith: { a, _ in a })
            let users = VolumeStore.users(containers)
            let vols = r.volumes.list()
            let volSizes = Dictionary(vols.map { ($0.name, FileSystem.diskUsage(r.volumes.dataPath($0.name))) }, uniquingKeysWith: { a, _ in a })
            let cache = try BuildCache(stateRoot: store.paths.stateRoot).usage(store: store)
            let rows = [
                Usage(type: "Images", total: images.count, active: activeImages.count, size: imageSize,
                      reclaimable: imageSize - layerBytes(activeImages)),
                Usage(type: "Containers", total: containers.count, active: containers.filter { $0.state.isActive }.count,
                      size: sizes.values.reduce(0, +),
                      reclaimable: containers.filter { !$0.state.isActive }.reduce(0) { $0 + (sizes[$1.config.id] ?? 0) }),
                Usage(type: "Local Volumes", total: vols.count, active: vols.filter { users[$0.name] != nil }.count,
                      size: volSizes.values.reduce(0, +),
                      reclaimable: vols.filter { users[$0.name] == nil }.reduce(0) { $0 + (volSizes[$1.name] ?? 0) }),
                Usage(type: "Build Cache", total: cache.count, active: 0, size: cache.reduce(0) { $0 + $1.size },
                      reclaimable: cache.filter(\.reclaimable).reduce(0) { $0 + $1.size }, percent: false),
            ]
            if verbose {
                printVerbose(images: Array(images.values), store: store, containers: containers, sizes: sizes, volumes: vols,
                             volSizes: volSizes, users: users, cache: cache)
                return
            }
            let t = GoTemplate(format.map { $0 == "json" ? "{{json .}}" : $0 } ?? "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}")
            try t.validate()
            let lines = try rows.map { try t.render(json: $0.row) }
            if t.isTable { print(TabWriter.format([t.header(["Type": "TYPE", "TotalCount": "TOTAL"])] + lines), terminator: "") } else { lines.forEach { print($0) } }
        }
    }

    func printVerbose(images: [ResolvedImage], store: ImageStore, containers: [Container], sizes: [ContainerID: Int64],
                      volumes: [Volume], volSizes: [String: Int64], users: [String: [ContainerID]], cache: [BuildCache.Record]) {
        var layerUsers: [Digest: Int] = [:]
        for i in images { for l in Set(i.manifest.layers.map(\.digest)) { layerUsers[l, default: 0] += 1 } }
        var table = [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"]]
        for i in images.sorted(by: { $0.id.description < $1.id.description }) {
            let shared = i.manifest.layers.filter { (layerUsers[$0.digest] ?? 0) > 1 }.reduce(0) { $0 + $1.size }
            let count = containers.filter { $0.config.imageID == i.id.description || $0.config.imageID == i.id.encoded }.count
            let names = i.names.isEmpty ? [("<none>", "<none>")] : i.names.map { n in
                let f = n.familiar
                let colon = f.lastIndex(of: ":").map { f[..<$0] }.map(String.init) ?? f
                return (colon, n.tag ?? "<none>")
            }
            for (repo, tag) in names {
                table.append([repo, tag, String(i.id.encoded.prefix(12)), ImageText.since(i.config.created), Units.humanSize(i.size),
                              Units.humanSize(shared), Units.humanSize(i.size - shared), String(count)])
            }
        }
        print("Images space usage:\n\n" + TabWriter.render(table))
        var ctable = [["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"]]
        for c in containers {
            var cmd = c.config.argv.joined(separator: " ")
            if cmd.count > 20 { cmd = String(cmd.prefix(19)) + "…" }
            ctable.append([c.config.id.short, c.config.image, "\"\(cmd)\"", String(c.config.mounts.filter { $0.type == .volume }.count),
                           Units.humanSize(sizes[c.config.id] ?? 0), ContainerList.ago(Double(Processes.wallNanos() - c.config.created) / 1e9) + " ago",
                           ContainerList.status(c.state), c.config.name])
        }
        print("Containers space usage:\n\n" + TabWriter.render(ctable))
        var vtable = [["VOLUME NAME", "LINKS", "SIZE"]]
        for v in volumes { vtable.append([v.name, String(users[v.name]?.count ?? 0), Units.humanSize(volSizes[v.name] ?? 0)]) }
        print("Local Volumes space usage:\n\n" + TabWriter.render(vtable))
        // cnc keeps no use count per record: that column says so ("-").
        var btable = [["CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED"]]
        for c in cache {
            let used = c.lastUsed.map { ImageText.since(ImageStore.timestamp(epoch: Int64($0))) } ?? "N/A"
            btable.append([String(c.id.prefix(25)), c.type, Units.humanSize(c.size), ImageText.since(c.created), used, "-", String(c.shared)])
        }
        print("Build cache usage: \(Units.humanSize(cache.reduce(0) { $0 + $1.size }))\n\n" + TabWriter.render(btable), terminator: "")
    }
}
