import CInit
import CNCCore
import CNCSystem

/// Compiled BPF programs of the default seccomp profile, one per capability set, under
/// `<root>/seccomp/`. libseccomp's compile step costs milliseconds; a container start loads
/// the cached program instead. The profile's version is part of the key.
enum SeccompCache {
    static let profileVersion = "docker-default-2"  // 2: binary-tree BPF

    static func path(root: String, caps: [Int]) throws -> String {
        let sorted = caps.sorted()
        let key = profileVersion + "-" + sorted.map(String.init).joined(separator: ",")
        let dir = root + "/seccomp"
        let file = dir + "/\(FNV1a.name(key)).bpf"
        if FileSystem.exists(file) { return file }
        try FileSystem.createDirectory(dir, mode: 0o700)
        let tmp = file + ".tmp-\(ContainerID.random().short)"
        let fd = try FD.open(tmp, FD.writeOnly | 0o100 /* O_CREAT */, mode: 0o600)
        let r = sorted.map { Int32($0) }.withUnsafeBufferPointer { cinit_seccomp_export($0.baseAddress, Int32($0.count), fd) }
        FD.close(fd)
        guard r == 0 else {
            try? FileSystem.remove(tmp)
            throw CNCError(.system, "failed to compile the default seccomp profile (libseccomp error \(r))")
        }
        try FileSystem.rename(tmp, to: file)
        return file
    }
}
