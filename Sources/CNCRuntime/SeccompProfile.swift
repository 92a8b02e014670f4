import CInit
import CNCCore
import CNCOCI
import CNCSystem
import Foundation

/// `--security-opt seccomp=FILE` (and Compose's `security_opt`): a profile in Docker's format
/// (moby's profiles/seccomp/default.json is one). Like Docker's CLI, the file is read when the
/// container is made and kept inline in its security options as compact JSON, so restarts do
/// not depend on the file. For a container it becomes the OCI `linux.seccomp` form — rules
/// chosen by the container's capabilities, architecture and kernel as Docker chooses them —
/// which cnc-init loads as a BPF program compiled at create.
public struct SeccompProfile: Decodable, Sendable {
    public var defaultAction: String
    public var defaultErrnoRet: UInt32?
    public var architectures: [String]?
    public var archMap: [ArchMap]?
    public var syscalls: [Rule]?
    public var listenerPath: String?

    public struct ArchMap: Decodable, Sendable {
        public var architecture: String
        public var subArchitectures: [String]?
    }

    public struct Rule: Decodable, Sendable {
        public var name: String?
        public var names: [String]?
        public var action: String
        public var errnoRet: UInt32?
        public var args: [Arg]?
        public var includes: Filter?
        public var excludes: Filter?
    }

    public struct Arg: Decodable, Sendable {
        public var index: UInt32
        public var value: UInt64
        public var valueTwo: UInt64?
        public var op: String
    }

    public struct Filter: Decodable, Sendable {
        public var caps: [String]?
        public var arches: [String]?
        public var minKernel: String?
    }

    static let actions: Set<String> = [
        "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_TRACE",
    ]
    static let operators: Set<String> = [
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
    ]

    /// Parses and checks a profile; `origin` names it in errors (a file, or "the container's").
    public init(json: String, origin: String) throws {
        do {
            self = try JSONDecoder().decode(SeccompProfile.self, from: Data(json.utf8))
        } catch let e as DecodingError {
            throw CNCError(.invalidArgument, "seccomp profile \(origin) is not a valid profile: \(Self.describe(e))")
        } catch {
            throw CNCError(.invalidArgument, "seccomp profile \(origin) is not valid JSON: \(error)")
        }
        func check(_ action: String, _ at: String) throws {
            if action == "SCMP_ACT_NOTIFY" {
                throw CNCError(.unsupported, "seccomp profile \(origin): \(at): SCMP_ACT_NOTIFY needs a seccomp agent, which cnc does not run")
            }
            guard Self.actions.contains(action) else { throw CNCError(.invalidArgument, "seccomp profile \(origin): \(at): unknown action \"\(action)\"") }
        }
        try check(defaultAction, "defaultAction")
        if listenerPath != nil {
            throw CNCError(.unsupported, "seccomp profile \(origin): listenerPath needs a seccomp agent, which cnc does not run")
        }
        for (i, r) in (syscalls ?? []).enumerated() {
            try check(r.action, "syscalls[\(i)]")
            for (j, a) in (r.args ?? []).enumerated() {
                guard Self.operators.contains(a.op) else {
                    throw CNCError(.invalidArgument, "seccomp profile \(origin): syscalls[\(i)].args[\(j)]: unknown operator \"\(a.op)\"")
                }
                guard a.index <= 5 else { throw CNCError(.invalidArgument, "seccomp profile \(origin): syscalls[\(i)].args[\(j)]: index \(a.index) is not 0-5") }
            }
            if (r.args ?? []).count > 6 { throw CNCError(.invalidArgument, "seccomp profile \(origin): syscalls[\(i)]: more than 6 argument conditions") }
        }
    }

    private static func describe(_ e: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String {
            c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingPrefix(".").description
        }
        switch e {
        case .keyNotFound(let k, let c): return "\(path(c).isEmpty ? "" : path(c) + ": ")missing \"\(k.stringValue)\""
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return "\(path(c).isEmpty ? "" : path(c) + ": ")\(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    /// The host's architecture as libseccomp's SCMP_ARCH_ name and Docker's (GOARCH) name.
    static var nativeArch: (scmp: String, docker: String) {
        switch Host.uname().machine {
        case "aarch64": return ("SCMP_ARCH_AARCH64", "arm64")
        case "armv7l", "armv6l": return ("SCMP_ARCH_ARM", "arm")
        case "ppc64le": return ("SCMP_ARCH_PPC64LE", "ppc64le")
        case "s390x": return ("SCMP_ARCH_S390X", "s390x")
        case "riscv64": return ("SCMP_ARCH_RISCV64", "riscv64")
        case "i686", "i386": return ("SCMP_ARCH_X86", "386")
        default: return ("SCMP_ARCH_X86_64", "amd64")
        }
    }

    /// "5.8" <= "6.18.44-fc" and the like: the kernel's major.minor against a rule's minKernel.
    static func kernelAtLeast(_ min: String, release: String = Host.uname().release) -> Bool {
        func parts(_ s: String) -> [Int] {
            s.split(whereSeparator: { !$0.isNumber }).prefix(2).map { Int($0) ?? 0 }
        }
        let have = parts(release), want = parts(min)
        for i in 0..<2 {
            let h = i < have.count ? have[i] : 0, w = i < want.count ? want[i] : 0
            if h != w { return h > w }
        }
        return true
    }

    /// The OCI form for a container with capabilities `caps` (names without CAP_): Docker's
    /// selection (includes/excludes by capability, architecture and kernel).
    public func oci(caps: [String]) -> OCIRuntimeSpec.Seccomp {
        let native = Self.nativeArch
        let held = Set(caps.map { "CAP_" + $0 })
        var arches = architectures ?? []
        if arches.isEmpty, let map = archMap?.first(where: { $0.architecture == native.scmp }) {
            arches = [map.architecture] + (map.subArchitectures ?? [])
        }
        var rules: [OCIRuntimeSpec.Syscall] = []
        for r in syscalls ?? [] {
            if let inc = r.includes {
                if let c = inc.caps, !c.isEmpty, !c.allSatisfy(held.contains) { continue }
                if let a = inc.arches, !a.isEmpty, !a.contains(native.docker) { continue }
                if let k = inc.minKernel, !k.isEmpty, !Self.kernelAtLeast(k) { continue }
            }
            if let exc = r.excludes {
                if let c = exc.caps, c.contains(where: held.contains) { continue }
                if let a = exc.arches, a.contains(native.docker) { continue }
            }
            let names = (r.name.map { [$0] } ?? []) + (r.names ?? [])
            guard !names.isEmpty else { continue }
            rules.append(.init(names: names, action: r.action, errnoRet: r.errnoRet,
                               args: r.args.map { $0.map { .init(index: $0.index, value: $0.value, valueTwo: $0.valueTwo ?? 0, op: $0.op) } }))
        }
        return .init(defaultAction: defaultAction, defaultErrnoRet: defaultErrnoRet,
                     architectures: arches.isEmpty ? nil : arches, syscalls: rules)
    }

    /// Compiles an OCI-form profile to the BPF program cnc-init loads, written to `path`.
    static func compile(_ s: OCIRuntimeSpec.Seccomp, to path: String) throws {
        var t: [String] = ["default", s.defaultAction, s.defaultErrnoRet.map { String($0) } ?? "-1"]
        for a in s.architectures ?? [] { t += ["arch", a] }
        for r in s.syscalls ?? [] {
            let args = r.args ?? []
            t += ["rule", r.action, r.errnoRet.map { String($0) } ?? "-1", String(args.count)]
            for a in args { t += [String(a.index), String(a.value), String(a.valueTwo ?? 0), a.op] }
            t += [String(r.names.count)] + r.names
        }
        var bytes: [UInt8] = []
        for token in t { bytes += Array(token.utf8); bytes.append(0) }
        let tmp = path + ".tmp-\(ContainerID.random().short)"
        let fd = try FD.open(tmp, FD.writeOnly | O_CREAT | O_TRUNC, mode: 0o600)
        var err = [CChar](repeating: 0, count: 256)
        let r = bytes.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { cinit_seccomp_export_spec($0.baseAddress, $0.count, fd, &err, err.count) }
        }
        FD.close(fd)
        guard r == 0 else {
            try? FileSystem.remove(tmp)
            throw CNCError(.invalidArgument, "seccomp profile: \(String(nulTerminated: err))")
        }
        try FileSystem.rename(tmp, to: path)
    }

    /// `--security-opt` as given to `run`/`create` or a Compose service, checked and with a
    /// `seccomp=FILE` read (relative to `directory`) and inlined. Unknown or unsupported
    /// options are errors: an option that would silently do nothing is a weaker container.
    public static func resolveSecurityOptions(_ opts: [String], relativeTo directory: String) throws -> [String] {
        try opts.map { opt in
            let sep = opt.firstIndex(where: { $0 == "=" || $0 == ":" })
            let key = sep.map { String(opt[..<$0]) } ?? opt
            let value = sep.map { String(opt[opt.index(after: $0)...]) }
            switch (key, value) {
            case ("no-new-privileges", nil): return "no-new-privileges=true"
            case ("no-new-privileges", let v?):
                guard ["true", "false"].contains(v) else { throw CNCError(.invalidArgument, "invalid --security-opt \"\(opt)\": no-new-privileges takes true or false") }
                return "no-new-privileges=" + v
            case ("seccomp", "unconfined"?): return "seccomp=unconfined"
            case ("seccomp", let v?) where v.hasPrefix("{"):
                _ = try SeccompProfile(json: v, origin: "in --security-opt")
                return "seccomp=" + v
            case ("seccomp", let v?) where !v.isEmpty:
                let path = v.hasPrefix("/") ? v : directory + "/" + v
                let text: String
                do { text = try FileSystem.readText(path) } catch {
                    throw CNCError(.invalidArgument, "opening seccomp profile (\(v)) failed", cause: "\(error)")
                }
                _ = try SeccompProfile(json: text, origin: path)
                // Compact, as Docker's CLI sends it: one line in cnc.json and `inspect`.
                guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
                      let compact = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
                    throw CNCError(.invalidArgument, "seccomp profile \(path) is not valid JSON")
                }
                return "seccomp=" + String(decoding: compact, as: UTF8.self)
            case ("apparmor", "unconfined"?), ("label", "disable"?), ("systempaths", "unconfined"?):
                return key + "=" + (value ?? "")
            case ("apparmor", _):
                throw CNCError(.unsupported, "invalid --security-opt \"\(opt)\": cnc applies no AppArmor profiles (only apparmor=unconfined is accepted); confine with seccomp and capabilities")
            case ("label", _):
                throw CNCError(.unsupported, "invalid --security-opt \"\(opt)\": cnc applies no SELinux labels (only label=disable is accepted)")
            default:
                throw CNCError(.invalidArgument, "invalid --security-opt \"\(opt)\": want no-new-privileges[=true|false], seccomp=unconfined|FILE, systempaths=unconfined, apparmor=unconfined or label=disable")
            }
        }
    }
}

extension ContainerConfig {
    /// The inline profile of `--security-opt seccomp=FILE` (nil: Docker's default, or unconfined).
    public var customSeccompJSON: String? {
        for o in securityOpt where (o.hasPrefix("seccomp=") || o.hasPrefix("seccomp:")) && !seccompUnconfined {
            let v = String(o.dropFirst(8))
            if v.hasPrefix("{") { return v }
        }
        return nil
    }

    /// `--security-opt systempaths=unconfined`: no masked or read-only /proc and /sys paths.
    public var systemPathsUnconfined: Bool { securityOpt.contains("systempaths=unconfined") }
}
