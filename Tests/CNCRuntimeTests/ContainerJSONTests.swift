import CNCCgroups
import CNCCore
import Foundation
import Testing
@testable import CNCRuntime

/// cnc.json and state.json are written by hand-built JSON (no Codable on the start path); they
/// must be exactly what JSONEncoder writes, for every field.
@Suite struct ContainerJSONTests {
    static func full() throws -> ContainerConfig {
        var c = ContainerConfig(id: ContainerID.random(), name: "web-1", image: "busybox:1", lowerDirs: ["/l/2", "/l/1"])
        c.imageID = "sha256:" + String(repeating: "a", count: 64)
        c.entrypoint = ["/bin/sh", "-c"]
        c.cmd = ["echo \"quoted\" \\ and\nnewline ü"]
        c.env = ["A=1", "B=x y"]
        c.workingDir = "/tmp"
        c.user = "1000:1000"
        c.hostname = "box"
        c.tty = true; c.openStdin = true; c.readOnly = true; c.initProcess = true; c.autoRemove = true; c.volatileUpper = true
        c.mounts = [MountSpec(type: .bind, source: "/a", target: "/b", readOnly: true, options: "z", anonymous: false),
                    MountSpec(type: .volume, source: "v", target: "/v", anonymous: true)]
        c.capAdd = ["NET_ADMIN"]; c.capDrop = ["ALL"]; c.securityOpt = ["seccomp=unconfined"]
        c.limits = CgroupLimits()
        c.limits.cpuQuota = 50_000; c.limits.cpuPeriod = 100_000; c.limits.cpuShares = 512
        c.limits.cpusetCpus = "0"; c.limits.cpusetMems = "0"; c.limits.memory = 1 << 26
        c.limits.memoryReservation = 1 << 25; c.limits.memoryHigh = 1 << 25; c.limits.memorySwap = -1
        c.limits.pids = 10; c.limits.oomKillDisable = true; c.limits.blkioWeight = 300
        c.limits.blkioThrottles = [BlkioThrottle(kind: BlkioThrottle.Kind.allCases[0], major: 8, minor: 0, rate: 1024)]
        c.limits.deviceRules = [try DeviceRule(parsing: "c 1:3 rwm"), try DeviceRule(parsing: "b *:* m")]
        c.cgroupParent = "apps"
        c.restartPolicy = RestartPolicy(name: .onFailure, maximumRetryCount: 3)
        c.stopSignal = "SIGINT"; c.stopTimeout = 3
        c.healthcheck = Healthcheck(test: ["CMD", "true"])
        c.labels = ["a": "b", "c": ""]
        c.network = .bridge("net1")
        c.log.maxSize = 1 << 20; c.log.maxFile = 3; c.log.driver = .journald; c.log.tag = "{{.Name}}"; c.sdNotify = .monitor
        c.ulimits = [try Ulimit(parsing: "nofile=10:20")]
        c.dns = ["10.0.0.1"]; c.extraHosts = ["h:1.2.3.4"]
        c.publish = [PublishedPort(hostIP: IPv4Address("127.0.0.1"), hostPort: 80, containerPort: 80), PublishedPort(hostPort: 0, containerPort: 53, proto: .udp)]; c.ipv4Address = "10.88.0.5"; c.networkAliases = ["w"]
        c.dnsSearch = ["x"]; c.dnsOptions = ["ndots:1"]
        c.additionalNetworks = [AdditionalNetwork(name: "n2", aliases: ["a"], ipv4Address: "10.89.0.2")]
        c.sysctls = ["net.ipv4.ip_forward": "1"]; c.oomScoreAdj = -500; c.shmSize = 1 << 27; c.cgroupns = .private; c.privileged = true
        c.pidMode = .host; c.ipcMode = .host; c.utsMode = .host; c.groupAdd = ["audio", "2000"]; c.sealedEnv = ["DB_PASSWORD"]
        c.usernsMode = "auto"; c.uidMap = [IDMap(containerID: 0, hostID: 100_000_000, size: 65536)]
        c.gidMap = [IDMap(containerID: 0, hostID: 100_000_000, size: 65536), IDMap(containerID: 65536, hostID: 5, size: 1)]
        c.devices = [DeviceNode(hostPath: "/dev/fuse", containerPath: "/dev/fuse", permissions: "rwm", type: "c",
                                   major: 10, minor: 229, fileMode: 0o20666, uid: 0, gid: 0)]
        c.created = 1_700_000_000_123_456_789
        return c
    }

    /// Every optional stored property of `value` is set (so the sample exercises every key).
    func allOptionalsSet(_ value: Any, _ path: String = "") {
        for child in Mirror(reflecting: value).children {
            guard let label = child.label else { continue }
            let m = Mirror(reflecting: child.value)
            if m.displayStyle == .optional {
                #expect(m.children.first != nil, "sample leaves \(path)\(label) nil: set it so the JSON test covers it")
            }
        }
    }

    func codableTree<T: Encodable>(_ v: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(v))
    }

    @Test func configMatchesJSONEncoder() throws {
        let c = try Self.full()
        allOptionalsSet(c)
        allOptionalsSet(c.limits, "limits.")
        let hand = try #require(c.jsonValue)
        #expect(hand == (try codableTree(c)))
        #expect(try JSONDecoder().decode(ContainerConfig.self, from: Data(CanonicalJSON.bytes(hand))) == c)
        let plain = ContainerConfig(id: ContainerID.random(), name: "x", image: "i", lowerDirs: [])
        #expect(plain.jsonValue == (try codableTree(plain)))
        var huge = plain
        huge.ulimits = [try JSONDecoder().decode(Ulimit.self, from: Data(#"{"name":"nofile","soft":18446744073709551615,"hard":18446744073709551615}"#.utf8))]
        #expect(huge.jsonValue == nil)  // saveConfig falls back to JSONEncoder
    }

    @Test func stateMatchesJSONEncoder() throws {
        var s = ContainerState()
        s.status = .running; s.running = true; s.pid = 42; s.exitCode = 137; s.oomKilled = true
        s.error = "boom \"x\""; s.monitorPid = 7; s.monitorStart = 123_456; s.restartCount = 2
        s.health = ContainerState.Health(status: "healthy", failingStreak: 0,
                                         log: [ContainerState.HealthLog(start: "a", end: "b", exitCode: 0, output: "ok\n")])
        allOptionalsSet(s)
        #expect(s.jsonValue == (try codableTree(s)))
        #expect(ContainerState().jsonValue == (try codableTree(ContainerState())))
    }
}
