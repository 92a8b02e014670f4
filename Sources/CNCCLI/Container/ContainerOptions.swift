import CNCAppCLI
import ArgumentParser
import CNCCgroups
import CNCCore
import CNCStart
import CNCRuntime
import CNCSystem
import CNCEngine
import CNCNetwork

/// The flags `cnc run` and `cnc create` share (Docker's names and meanings).
struct ContainerOptions: ParsableArguments {
    @Option(name: .long, help: "Assign a name to the container.") var name: String?
    @Flag(name: [.customShort("i"), .long], help: "Keep STDIN open.") var interactive = false
    @Flag(name: [.customShort("t"), .long], help: "Allocate a pseudo-TTY.") var tty = false
    @Option(name: [.customShort("e"), .long], help: "Set environment variables.") var env: [String] = []
    @Option(name: .long, help: "Read in a file of environment variables.") var envFile: [String] = []
    @Option(name: [.customShort("w"), .long], help: "Working directory inside the container.") var workdir: String?
    @Option(name: [.customShort("u"), .long], help: "Username or UID (format: <name|uid>[:<group|gid>]).") var user: String?
    @Option(name: [.customShort("h"), .long], help: "Container host name.") var hostname: String?
    @Option(name: [.customShort("v"), .long], help: "Bind mount a volume (SRC:DST[:ro], NAME:DST, or DST).") var volume: [String] = []
    @Option(name: .long, help: "Attach a mount (type=bind|volume|tmpfs,source=,target=,readonly).") var mount: [String] = []
    @Option(name: .long, help: "Mount a tmpfs directory (DST[:OPTIONS]).") var tmpfs: [String] = []
    @Flag(name: .long, help: "Mount the container's root filesystem as read only.") var readOnly = false
    @Flag(name: .long, help: "Run an init inside the container that forwards signals and reaps processes.") var `init` = false
    @Option(name: .long, help: "Overwrite the default ENTRYPOINT of the image.") var entrypoint: String?
    @Option(name: .long, parsing: .unconditional, help: "Number of CPUs.") var cpus: String?
    @Option(name: [.customShort("c"), .long], help: "CPU shares (relative weight).") var cpuShares: Int64?
    @Option(name: .long, parsing: .unconditional, help: "Limit CPU CFS quota (microseconds).") var cpuQuota: Int64?
    @Option(name: .long, help: "Limit CPU CFS period (microseconds).") var cpuPeriod: Int64?
    @Option(name: .long, help: "CPUs in which to allow execution (0-3, 0,1).") var cpusetCpus: String?
    @Option(name: .long, help: "MEMs in which to allow execution.") var cpusetMems: String?
    @Option(name: [.customShort("m"), .long], parsing: .unconditional, help: "Memory limit.") var memory: String?
    @Option(name: .long, parsing: .unconditional, help: "Memory soft limit.") var memoryReservation: String?
    @Option(name: .long, parsing: .unconditional, help: "Swap limit equal to memory plus swap: -1 for unlimited swap.") var memorySwap: String?
    @Option(name: .long, parsing: .unconditional, help: "Tune container pids limit (-1 for unlimited).") var pidsLimit: Int64?
    @Flag(name: .long, help: "Disable OOM Killer.") var oomKillDisable = false
    @Option(name: .long, help: "Block IO weight (10-1000).") var blkioWeight: Int64?
    @Option(name: .long, help: "Add a rule to the cgroup allowed devices list.") var deviceCgroupRule: [String] = []
    @Option(name: .long, help: "Add a host device to the container (HOST[:CONTAINER[:PERMISSIONS]]).") var device: [String] = []
    @Option(name: .long, help: "Sysctl options (net.ipv4.ip_forward=1).") var sysctl: [String] = []
    @Option(name: .long, parsing: .unconditional, help: "Tune host's OOM preferences (-1000 to 1000).") var oomScoreAdj: Int?
    @Option(name: .long, help: "Size of /dev/shm (default 64m).") var shmSize: String?
    @Option(name: .long, help: "Cgroup namespace to use: host (default) or private.") var cgroupns: String?
    @Flag(name: .long, help: "Give extended privileges to this container (every capability and device, no seccomp).") var privileged = false
    @Option(name: .long, help: "PID namespace to use: host, or private (default).") var pid: String?
    @Option(name: .long, help: "Add additional groups to join (names or gids).") var groupAdd: [String] = []
    @Option(name: .long, help: "Write the container ID to the file.") var cidfile: String?
    @Option(name: .long, help: "IPC mode to use: host, or private (default).") var ipc: String?
    @Option(name: .long, help: "UTS namespace to use: host, or private (default).") var uts: String?
    @Option(name: .long, help: "User namespace to use: host (default), auto[:size=N] (ids of cnc's own range), CONTAINER:HOST:SIZE[,...], or rootless: keep-id[:uid=N,gid=N], nomap.") var userns: String?
    @Option(name: .long, help: "Limit read rate (bytes per second) from a device (/dev/sda:1mb).") var deviceReadBps: [String] = []
    @Option(name: .long, help: "Limit write rate (bytes per second) to a device (/dev/sda:1mb).") var deviceWriteBps: [String] = []
    @Option(name: .long, help: "Limit read rate (IO per second) from a device (/dev/sda:1000).") var deviceReadIops: [String] = []
    @Option(name: .long, help: "Limit write rate (IO per second) to a device (/dev/sda:1000).") var deviceWriteIops: [String] = []
    @Option(name: .long, help: "Add Linux capabilities.") var capAdd: [String] = []
    @Option(name: .long, help: "Drop Linux capabilities.") var capDrop: [String] = []
    @Option(name: .long, help: "Security options (seccomp=unconfined, no-new-privileges=false).") var securityOpt: [String] = []
    @Option(name: .long, help: "Ulimit options (nofile=1024:2048).") var ulimit: [String] = []
    @Option(name: .long, help: "Restart policy: no, always, unless-stopped, on-failure[:max-retries].") var restart: String = "no"
    @Option(name: .long, help: "Signal to stop the container.") var stopSignal: String?
    @Option(name: .long, help: "Timeout (in seconds) to stop a container.") var stopTimeout: Int?
    @Option(name: .long, help: "Command to run to check health.") var healthCmd: String?
    @Option(name: .long, help: "Time between running the check (ms|s|m|h).") var healthInterval: String?
    @Option(name: .long, help: "Maximum time to allow one check to run.") var healthTimeout: String?
    @Option(name: .long, help: "Consecutive failures needed to report unhealthy.") var healthRetries: Int?
    @Option(name: .long, help: "Start period for the container to initialize before counting retries.") var healthStartPeriod: String?
    @Flag(name: .long, help: "Disable any container-specified HEALTHCHECK.") var noHealthcheck = false
    @Option(name: [.customShort("l"), .long], help: "Set meta data on a container.") var label: [String] = []
    @Option(name: .long, help: "Connect a container to a network: bridge (the default network, the default), none, host, container:NAME or a network's name.", completion: .networkModes) var network: String?
    @Option(name: [.customShort("p"), .long], help: "Publish a container's port(s) to the host ([IP:]HOST:CONTAINER[/udp], ranges).") var publish: [String] = []
    @Flag(name: [.customShort("P"), .long], help: "Publish all exposed ports to random host ports.") var publishAll = false
    @Option(name: .long, help: "IPv4 address on the network (e.g. 172.30.100.104).") var ip: String?
    @Option(name: .long, help: "Add a network-scoped alias for the container.") var networkAlias: [String] = []
    @Option(name: .long, help: "Set custom DNS search domains.") var dnsSearch: [String] = []
    @Option(name: .long, help: "Set DNS options.") var dnsOption: [String] = []
    @Option(name: .long, help: "Optional parent cgroup for the container.") var cgroupParent: String?
    @Option(name: .long, help: "Logging driver for the container (json-file, journald, none).") var logDriver: String?
    @Option(name: .long, help: "Under a Type=notify unit: container (the container's own READY=1, relayed), monitor (READY once the container runs) or ignore (default).") var sdnotify: String?
    @Option(name: .long, help: "Log driver options (json-file: max-size, max-file, tag; journald: tag).") var logOpt: [String] = []
    @Option(name: .long, help: "Set custom DNS servers.") var dns: [String] = []
    @Option(name: .long, help: "Add a custom host-to-IP mapping (host:ip).") var addHost: [String] = []
    @Option(name: .long, help: "Pull image before running (\"always\", \"missing\", \"never\").") var pull = "missing"
    @Option(name: .long, help: ArgumentHelp("Use this directory as the image's root filesystem.", visibility: .hidden))
    var rootfs: String?

    @Argument(help: "The image.", completion: .imageNames) var image: String
    @Argument(parsing: .captureForPassthrough, help: "Command and arguments.") var command: [String] = []

    /// These flags as plain values (what `makeConfig` reads; the fast parser yields the same).
    var flags: RunFlags {
        var f = RunFlags()
        f.name = name; f.interactive = interactive; f.tty = tty; f.env = env; f.envFile = envFile
        f.workdir = workdir; f.user = user; f.hostname = hostname; f.volume = volume; f.mount = mount
        f.tmpfs = tmpfs; f.readOnly = readOnly; f.`init` = `init`; f.entrypoint = entrypoint; f.cpus = cpus
        f.cpuShares = cpuShares; f.cpuQuota = cpuQuota; f.cpuPeriod = cpuPeriod; f.cpusetCpus = cpusetCpus
        f.cpusetMems = cpusetMems; f.memory = memory; f.memoryReservation = memoryReservation
        f.memorySwap = memorySwap; f.pidsLimit = pidsLimit; f.oomKillDisable = oomKillDisable
        f.blkioWeight = blkioWeight; f.deviceCgroupRule = deviceCgroupRule; f.device = device; f.sysctl = sysctl
        f.oomScoreAdj = oomScoreAdj; f.shmSize = shmSize; f.cgroupns = cgroupns; f.privileged = privileged; f.pid = pid; f.groupAdd = groupAdd; f.cidfile = cidfile; f.ipc = ipc; f.uts = uts; f.userns = userns; f.deviceReadBps = deviceReadBps; f.deviceWriteBps = deviceWriteBps
        f.deviceReadIops = deviceReadIops; f.deviceWriteIops = deviceWriteIops; f.capAdd = capAdd; f.capDrop = capDrop
        f.securityOpt = securityOpt; f.ulimit = ulimit; f.restart = restart; f.stopSignal = stopSignal
        f.stopTimeout = stopTimeout; f.healthCmd = healthCmd; f.healthInterval = healthInterval
        f.healthTimeout = healthTimeout; f.healthRetries = healthRetries; f.healthStartPeriod = healthStartPeriod
        f.noHealthcheck = noHealthcheck; f.label = label; f.network = network; f.publish = publish
        f.publishAll = publishAll; f.ip = ip; f.networkAlias = networkAlias; f.dnsSearch = dnsSearch
        f.dnsOption = dnsOption; f.cgroupParent = cgroupParent; f.logOpt = logOpt; f.logDriver = logDriver; f.sdnotify = sdnotify; f.dns = dns; f.addHost = addHost
        f.pull = pull; f.rootfs = rootfs; f.image = image; f.command = command
        return f
    }
}

extension GlobalOptions {
    func runtime() throws -> Runtime { try ContainerEngine.runtime(engineConfig()) }
}
