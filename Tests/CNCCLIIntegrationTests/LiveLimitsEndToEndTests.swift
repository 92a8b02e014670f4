import CNCCore
import Foundation
import Testing

/// Live limits on the real kernel: a limit removed from the spec is removed from the cgroup
/// (regression: the plan said "memory 64MiB -> unlimited (in place)" and the cgroup kept 64 MiB,
/// so every later diff exited 2 and every apply recorded a revision).
@Suite(.serialized) struct LiveLimitsEndToEndTests {
    /// One live limit: its spec line, the cgroup file it shows in (v1 name, v2 name), the value
    /// set, the value once removed, and the cause a removal prints.
    struct Case: Sendable, CustomTestStringConvertible {
        var key: String
        var line: String
        var v1: String, v2: String
        var set: String, setV2: String
        var unlimitedV1: String, unlimitedV2: String
        var cause: String
        var testDescription: String { key }
    }

    static let cases: [Case] = [
        Case(key: "mem_limit", line: "mem_limit: 64m", v1: "memory/memory.limit_in_bytes", v2: "memory.max",
             set: "67108864", setV2: "67108864", unlimitedV1: "9223372036854771712", unlimitedV2: "max",
             cause: "memory 64MiB -> unlimited (in place)"),
        Case(key: "mem_reservation", line: "mem_reservation: 32m", v1: "memory/memory.soft_limit_in_bytes", v2: "memory.low",
             set: "33554432", setV2: "33554432", unlimitedV1: "9223372036854771712", unlimitedV2: "0",
             cause: "memory_reservation 32MiB -> unlimited (in place)"),
        Case(key: "cpus", line: "cpus: 0.5", v1: "cpu/cpu.cfs_quota_us", v2: "cpu.max",
             set: "50000", setV2: "50000 100000", unlimitedV1: "-1", unlimitedV2: "max 100000",
             cause: "cpus 0.5 -> unlimited (in place)"),
        Case(key: "pids_limit", line: "pids_limit: 50", v1: "pids/pids.max", v2: "pids.max",
             set: "50", setV2: "50", unlimitedV1: "max", unlimitedV2: "max",
             cause: "pids 50 -> unlimited (in place)"),
        Case(key: "cpu_shares", line: "cpu_shares: 512", v1: "cpu/cpu.shares", v2: "cpu.weight",
             set: "512", setV2: "\(1 + (510 * 9999) / 262_142)", unlimitedV1: "1024", unlimitedV2: "\(1 + (1022 * 9999) / 262_142)",
             cause: "cpu_shares 512 -> default (in place)"),
    ]

    static var v2: Bool { FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") }

    /// The container's own view of one cgroup file (read inside it, where its cgroups are
    /// mounted at /sys/fs/cgroup).
    static func read(_ app: AppRoot, _ container: String, _ c: Case) throws -> String {
        let path = "/sys/fs/cgroup/" + (v2 ? c.v2 : c.v1)
        let r = try CLI.run("cnc", ["exec", "--root", app.root, container, "cat", path])
        #expect(r.status == 0, "cat \(path): \(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func spec(_ line: String?) -> String {
        """
        name: lim
        services:
          web:
            image: app:stable
            command: ["sleep", "1000"]
            network_mode: none
            stop_grace_period: 0s
        \(line.map { "    " + $0 } ?? "")

        """
    }

    @Test(arguments: cases)
    func removingALiveLimitConverges(_ c: Case) throws {
        let app = try AppRoot()
        let file = try app.write(Self.spec(c.line))
        let first = try app.apply(["-f", file])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(try Self.read(app, "lim-web-1", c) == (Self.v2 ? c.setV2 : c.set))

        _ = try app.write(Self.spec(nil))
        let diff = try app.apply(["diff", "-f", file])
        #expect(diff.status == 2)
        #expect(diff.stdout == "web: update-limits — \(c.cause)\n")
        let removed = try app.apply(["-f", file])
        #expect(removed.status == 0, "\(removed.stdout)\(removed.stderr)")
        #expect(removed.stdout.contains("revision 2 applied"))
        #expect(try Self.read(app, "lim-web-1", c) == (Self.v2 ? c.unlimitedV2 : c.unlimitedV1))

        // Converged: nothing pending, no new revision.
        #expect(try app.apply(["diff", "-f", file]).status == 0)
        let again = try app.apply(["-f", file])
        #expect(again.status == 0 && again.stdout.contains("lim: no changes"), "\(again.stdout)")
        #expect(try app.apply(["history", "-p", "lim"]).stdout.split(separator: "\n").count == 3)

        // And back: the limit is set again in place.
        _ = try app.write(Self.spec(c.line))
        let back = try app.apply(["-f", file])
        #expect(back.status == 0 && back.stdout.contains("update-limits"), "\(back.stdout)\(back.stderr)")
        #expect(try Self.read(app, "lim-web-1", c) == (Self.v2 ? c.setV2 : c.set))
        _ = try app.apply(["down", "-p", "lim"])
    }

    /// `cpu_period` is kept when `cpu_quota` changes in place (updateLimits wrote 100000 before).
    @Test func quotaChangeKeepsTheServicesPeriod() throws {
        let app = try AppRoot()
        let file = try app.write(Self.spec("cpu_quota: 25000\n    cpu_period: 50000"))
        #expect(try app.apply(["-f", file]).status == 0)
        let quota = Case(key: "q", line: "", v1: "cpu/cpu.cfs_quota_us", v2: "cpu.max", set: "", setV2: "", unlimitedV1: "", unlimitedV2: "", cause: "")
        #expect(try Self.read(app, "lim-web-1", quota) == (Self.v2 ? "25000 50000" : "25000"))
        _ = try app.write(Self.spec("cpu_quota: 50000\n    cpu_period: 50000"))
        let changed = try app.apply(["-f", file])
        #expect(changed.stdout.contains("web: update-limits — cpus 0.5 -> 1 (in place)"), "\(changed.stdout)\(changed.stderr)")
        #expect(try Self.read(app, "lim-web-1", quota) == (Self.v2 ? "50000 50000" : "50000"))
        #expect(try app.apply(["diff", "-f", file]).status == 0)
        _ = try app.apply(["down", "-p", "lim"])
    }

    /// `cnc update` reads the memory flags as docker's update does, live on the cgroup and in
    /// inspect: `--memory -1` is a usage error (125), `--memory 0` / `--memory-swap 0` change
    /// nothing, `--memory-swap -1` makes swap unlimited, a memory limit alone keeps the swap limit
    /// the container has and is refused above it (docker's words); the run's checks apply.
    @Test func updateReadsMemoryFlagsAsDocker() throws {
        let app = try AppRoot()
        let run = try CLI.run("cnc", ["run", "-d", "--root", app.root, "--name", "u", "--network", "none", "-m", "64m",
                                      "--pids-limit", "20", "app:stable", "sleep", "1000"])
        #expect(run.status == 0, "\(run.stderr)")
        let id = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let mem = Self.cases[0], pids = Self.cases[3]
        let swapFile = Case(key: "swap", line: "", v1: "memory/memory.memsw.limit_in_bytes", v2: "memory.swap.max", set: "", setV2: "",
                            unlimitedV1: "9223372036854771712", unlimitedV2: "max", cause: "")
        func update(_ args: [String]) throws -> CLI.Result { try CLI.run("cnc", ["update", "--root", app.root] + args + ["u"]) }
        func inspect() throws -> String {
            try CLI.run("cnc", ["inspect", "--root", app.root, "--format", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}", "u"])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try Self.read(app, "u", mem) == "67108864")
        // docker records twice the memory as the swap limit when --memory-swap is not given.
        #expect(try inspect() == "67108864 134217728")
        for flag in [["--memory", "-1"], ["-m", "-1"], ["--memory-reservation", "-1"], ["--memory", "abc"], ["--memory-swap", "-2"]] {
            let r = try update(flag)
            let name = flag[0] == "-m" ? "-m, --memory" : flag[0] == "--memory" ? "-m, --memory" : flag[0]
            #expect(r.status == 125 && r.stderr.hasPrefix("invalid argument \"\(flag[1])\" for \"\(name)\" flag: invalid size: '\(flag[1])'\nSee 'cnc update --help'."),
                    "\(flag): \(r.status) \(r.stderr)")
        }
        // 0 is "not given": nothing changes.
        for flag in [["--memory", "0"], ["--memory-swap", "0"], ["--memory-reservation", "0"]] {
            let r = try update(flag)
            #expect(r.status == 0 && r.stdout == "u\n", "\(flag): \(r.stderr)")
            #expect(try Self.read(app, "u", mem) == "67108864")
            #expect(try inspect() == "67108864 134217728")
        }
        // A memory limit alone keeps the swap limit; above it, docker's refusal (exit 1).
        #expect(try update(["--memory", "100m"]).status == 0)
        #expect(try Self.read(app, "u", mem) == "104857600")
        #expect(try inspect() == "104857600 134217728")
        if !Self.v2 { #expect(try Self.read(app, "u", swapFile) == "134217728") }
        let above = try update(["--memory", "200m"])
        #expect(above.status == 1 && above.stderr == "Error: Cannot update container \(id): Memory limit should be smaller than already set "
                + "memoryswap limit, update the memoryswap at the same time\n", "\(above.stderr)")
        #expect(try Self.read(app, "u", mem) == "104857600")
        // --memory-swap -1: unlimited swap, in the cgroup and in inspect.
        let unlimited = try update(["--memory-swap", "-1"])
        #expect(unlimited.status == 0, "\(unlimited.stderr)")
        #expect(try Self.read(app, "u", swapFile) == (Self.v2 ? swapFile.unlimitedV2 : swapFile.unlimitedV1))
        #expect(try inspect() == "104857600 -1")
        // With no swap limit, a memory limit alone is set (docker's daemon refuses it; see
        // CgroupLimits.dockerUpdate) and swap stays unlimited.
        #expect(try update(["--memory", "128m"]).status == 0)
        #expect(try Self.read(app, "u", mem) == "134217728")
        #expect(try inspect() == "134217728 -1")
        let p = try update(["--pids-limit", "-1"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(try Self.read(app, "u", pids) == "max")
        // Docker's checks, on update as on run.
        let tiny = try update(["--memory", "1m"])
        #expect(tiny.status == 1 && tiny.stderr.contains("Minimum memory limit allowed is 6MB"), "\(tiny.stderr)")
        let swap = try update(["--memory", "256m", "--memory-swap", "200m"])
        #expect(swap.status == 1 && swap.stderr.contains("Minimum memoryswap limit should be larger than memory limit"), "\(swap.stderr)")
        let runTiny = try CLI.run("cnc", ["run", "--rm", "--root", app.root, "--network", "none", "-m", "1m", "app:stable", "true"])
        #expect(runTiny.status == 125 && runTiny.stderr.contains("Minimum memory limit allowed is 6MB"), "\(runTiny.stderr)")
        // As docker's daemon: the limits are refused before the image is looked for, so a
        // missing image is neither reported nor pulled (no registry is ever asked here).
        for verb in ["run", "create"] {
            let missing = try CLI.run("cnc", [verb, "--root", app.root, "--network", "none", "-m", "1m",
                                              "127.0.0.1:1/not/here:1", "true"])
            #expect(missing.status == 125 && missing.stderr == "Error: Minimum memory limit allowed is 6MB\n", "\(verb): \(missing.stderr)")
        }
        #expect(try Self.read(app, "u", mem) == "134217728")
    }
}
