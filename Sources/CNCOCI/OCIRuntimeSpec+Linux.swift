extension OCIRuntimeSpec {
    /// The `linux` section: namespaces, id maps, resources, devices, seccomp, masked paths.
    public struct Linux: Codable, Hashable, Sendable {
        public var namespaces: [Namespace]?
        public var uidMappings: [IDMapping]?
        public var gidMappings: [IDMapping]?
        public var timeOffsets: [String: TimeOffset]?
        public var devices: [Device]?
        public var cgroupsPath: String?
        public var resources: Resources?
        public var rootfsPropagation: String?
        public var seccomp: Seccomp?
        public var sysctl: [String: String]?
        public var maskedPaths: [String]?
        public var readonlyPaths: [String]?
        public var mountLabel: String?
        public var personality: Personality?
        public var intelRdt: JSONFree?

        public init(namespaces: [Namespace]? = nil, devices: [Device]? = nil, cgroupsPath: String? = nil,
                    resources: Resources? = nil, seccomp: Seccomp? = nil, sysctl: [String: String]? = nil,
                    maskedPaths: [String]? = nil, readonlyPaths: [String]? = nil) {
            self.namespaces = namespaces; self.devices = devices; self.cgroupsPath = cgroupsPath
            self.resources = resources; self.seccomp = seccomp; self.sysctl = sysctl
            self.maskedPaths = maskedPaths; self.readonlyPaths = readonlyPaths
        }
    }

    /// A placeholder for sections cnc does not model; kept as an empty object.
    public struct JSONFree: Codable, Hashable, Sendable {}

    public struct Namespace: Codable, Hashable, Sendable {
        public enum Kind: String, Codable, Sendable, CaseIterable {
            case pid, network, mount, ipc, uts, user, cgroup, time
        }
        public var type: Kind
        /// Join an existing namespace (e.g. /proc/PID/ns/net) instead of creating one.
        public var path: String?
        public init(type: Kind, path: String? = nil) { self.type = type; self.path = path }
    }

    public struct TimeOffset: Codable, Hashable, Sendable {
        public var secs: Int64?
        public var nanosecs: UInt32?
    }

    public struct Device: Codable, Hashable, Sendable {
        /// "c", "b", "u" or "p".
        public var type: String
        public var path: String
        public var major: Int64?
        public var minor: Int64?
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?
        public init(type: String, path: String, major: Int64?, minor: Int64?, fileMode: UInt32? = 0o666, uid: UInt32? = 0, gid: UInt32? = 0) {
            self.type = type; self.path = path; self.major = major; self.minor = minor
            self.fileMode = fileMode; self.uid = uid; self.gid = gid
        }
    }

    public struct Personality: Codable, Hashable, Sendable {
        public var domain: String
        public var flags: [String]?
    }

    /// Cgroup limits (`linux.resources`).
    public struct Resources: Codable, Hashable, Sendable {
        public var devices: [DeviceCgroup]?
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
        public var blockIO: BlockIO?
        public var hugepageLimits: [HugepageLimit]?
        public var network: Network?
        public var rdma: [String: RDMA]?
        public var unified: [String: String]?
        public init(devices: [DeviceCgroup]? = nil, memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil, blockIO: BlockIO? = nil) {
            self.devices = devices; self.memory = memory; self.cpu = cpu; self.pids = pids; self.blockIO = blockIO
        }
    }

    public struct DeviceCgroup: Codable, Hashable, Sendable {
        public var allow: Bool
        public var type: String?
        public var major: Int64?
        public var minor: Int64?
        public var access: String?
        public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
            self.allow = allow; self.type = type; self.major = major; self.minor = minor; self.access = access
        }
    }

    public struct Memory: Codable, Hashable, Sendable {
        public var limit: Int64?
        public var reservation: Int64?
        public var swap: Int64?
        public var kernel: Int64?
        public var kernelTCP: Int64?
        public var swappiness: UInt64?
        public var disableOOMKiller: Bool?
        public var useHierarchy: Bool?
        public var checkBeforeUpdate: Bool?
        public init(limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil, disableOOMKiller: Bool? = nil) {
            self.limit = limit; self.reservation = reservation; self.swap = swap; self.disableOOMKiller = disableOOMKiller
        }
    }

    public struct CPU: Codable, Hashable, Sendable {
        public var shares: UInt64?
        public var quota: Int64?
        public var burst: UInt64?
        public var period: UInt64?
        public var realtimeRuntime: Int64?
        public var realtimePeriod: UInt64?
        public var cpus: String?
        public var mems: String?
        public var idle: Int64?
        public init(shares: UInt64? = nil, quota: Int64? = nil, period: UInt64? = nil, cpus: String? = nil, mems: String? = nil) {
            self.shares = shares; self.quota = quota; self.period = period; self.cpus = cpus; self.mems = mems
        }
    }

    public struct Pids: Codable, Hashable, Sendable {
        public var limit: Int64
        public init(limit: Int64) { self.limit = limit }
    }

    public struct BlockIO: Codable, Hashable, Sendable {
        public var weight: UInt16?
        public var leafWeight: UInt16?
        public var weightDevice: [WeightDevice]?
        public var throttleReadBpsDevice: [ThrottleDevice]?
        public var throttleWriteBpsDevice: [ThrottleDevice]?
        public var throttleReadIOPSDevice: [ThrottleDevice]?
        public var throttleWriteIOPSDevice: [ThrottleDevice]?
        public init(weight: UInt16? = nil) { self.weight = weight }
    }

    public struct WeightDevice: Codable, Hashable, Sendable {
        public var major: Int64
        public var minor: Int64
        public var weight: UInt16?
        public var leafWeight: UInt16?
    }

    public struct ThrottleDevice: Codable, Hashable, Sendable {
        public var major: Int64
        public var minor: Int64
        public var rate: UInt64
    }

    public struct HugepageLimit: Codable, Hashable, Sendable {
        public var pageSize: String
        public var limit: UInt64
    }

    public struct Network: Codable, Hashable, Sendable {
        public var classID: UInt32?
        public var priorities: [InterfacePriority]?
    }

    public struct InterfacePriority: Codable, Hashable, Sendable {
        public var name: String
        public var priority: UInt32
    }

    public struct RDMA: Codable, Hashable, Sendable {
        public var hcaHandles: UInt32?
        public var hcaObjects: UInt32?
    }

    /// A seccomp filter as runc reads it (`linux.seccomp`).
    public struct Seccomp: Codable, Hashable, Sendable {
        public var defaultAction: String
        public var defaultErrnoRet: UInt32?
        public var architectures: [String]?
        public var flags: [String]?
        public var listenerPath: String?
        public var listenerMetadata: String?
        public var syscalls: [Syscall]?
        public init(defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil, syscalls: [Syscall]? = nil) {
            self.defaultAction = defaultAction; self.defaultErrnoRet = defaultErrnoRet
            self.architectures = architectures; self.syscalls = syscalls
        }
    }

    public struct Syscall: Codable, Hashable, Sendable {
        public var names: [String]
        public var action: String
        public var errnoRet: UInt32?
        public var args: [SeccompArg]?
        public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [SeccompArg]? = nil) {
            self.names = names; self.action = action; self.errnoRet = errnoRet; self.args = args
        }
    }

    public struct SeccompArg: Codable, Hashable, Sendable {
        public var index: UInt32
        public var value: UInt64
        public var valueTwo: UInt64?
        /// SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ
        public var op: String
        public init(index: UInt32, value: UInt64, valueTwo: UInt64? = nil, op: String) {
            self.index = index; self.value = value; self.valueTwo = valueTwo; self.op = op
        }
    }
}
