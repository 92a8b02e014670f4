import CNCCore
import CNCSystem

/// Kernel features the runtime relies on, read from /proc.
public enum RuntimeSupport {
    /// True when the kernel lists overlay in /proc/filesystems.
    public static func overlaySupported(procFilesystems: String) -> Bool {
        procFilesystems.split(separator: "\n").contains { line in
            line.split(whereSeparator: { $0 == "\t" || $0 == " " }).last == "overlay"
        }
    }

    public static func overlaySupported() -> Bool {
        overlaySupported(procFilesystems: (try? FileSystem.readText("/proc/filesystems")) ?? "")
    }
}
