// cnc-monitor: the lean per-container supervisor (conmon is the model); its logic is
// CNCMonitorCore. Glibc only (no Foundation) and static, so an idle container costs a few
// hundred KB.
//
//   cnc-monitor CONFIG                 supervise the container CONFIG (monitor.conf) describes
//   cnc-monitor --remove-tree DIR...   delete removed containers' directories (in .trash/)
import CNCMonitorCore
import Glibc

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { die("usage: cnc-monitor CONFIG | cnc-monitor --remove-tree DIR") }
if arguments[1] == "--remove-tree" {
    TreeRemoval.removeTrash(arguments.dropFirst(2))
    exit(0)
}
Monitor(configPath: arguments[1]).run()
