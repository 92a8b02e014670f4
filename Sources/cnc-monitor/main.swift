// cnc-monitor: the lean per-container supervisor (conmon is the model); its logic is
// CNCMonitorCore. Glibc only (no Foundation) and static, so an idle container costs a few
// hundred KB.
//
//   cnc-monitor CONFIG                 supervise the container CONFIG (monitor.conf) describes
//   cnc-monitor --remove-tree [--close=N] DIR...
//                                      close inherited fds 3..<3+N (root pins), then delete
//                                      removed containers' directories (in .trash/)
import CNCMonitorCore
import Glibc

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { die("usage: cnc-monitor CONFIG | cnc-monitor --remove-tree DIR") }
if arguments[1] == "--remove-tree" {
    var dirs = arguments.dropFirst(2)
    // --close=N: fds 3..<3+N are pins on removed containers' roots (RootfsPins); closing them
    // shuts their overlays down (a sync of the upper file system) before the trees go.
    if let first = dirs.first, first.hasPrefix("--close="), let n = Int32(first.dropFirst(8)) {
        dirs = dirs.dropFirst()
        for fd in 3..<(3 + max(0, min(n, 4096))) { close(fd) }
    }
    TreeRemoval.removeTrash(dirs)
    exit(0)
}
Monitor(configPath: arguments[1]).run()
