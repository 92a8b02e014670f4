import CNCCore
import Glibc

extension Host {
    /// Replaces this process with `path` (argv[0] included in `arguments`), keeping the
    /// environment. Returns only by throwing.
    public static func exec(_ path: String, _ arguments: [String]) throws -> Never {
        var argv = arguments.map { strdup($0) }
        argv.append(nil)
        execv(path, argv)
        let e = errno
        argv.forEach { free($0) }
        throw SystemError.make("execv", errno: e, path: path)
    }

    /// Where cnc's helper executables are (cnc-init, cnc-monitor, cnc-dns): $CNC_LIBEXEC, else
    /// beside the running executable.
    public static var helperDirectory: String { environment("CNC_LIBEXEC") ?? executableDirectory }

    /// The directory of the running executable.
    public static var executableDirectory: String {
        FileSystem.directoryName(FileSystem.readLink("/proc/self/exe") ?? "/usr/local/bin/cnc")
    }
}
