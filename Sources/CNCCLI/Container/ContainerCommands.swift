import ArgumentParser

extension CNCCommand {
    /// cnc container commands (run, create, start, stop, ps, inspect, exec, logs, ...), at the top
    /// level as in docker, plus the `container` group that holds them too.
    static let containerCommands: [any ParsableCommand.Type] =
        TopLevel.unaliased(ContainerGroup.shared) + [ContainerNetworkHook.self, ContainerNetworkDetachHook.self, ContainerCgroupHook.self, ContainerGroup.self]
}

/// `cnc container ...`: the same commands under docker's management group (`container ls`,
/// `container rm`, `container inspect`...), and `container prune`.
struct ContainerGroup: ParsableCommand {
    static let shared: [any ParsableCommand.Type] = [
        ContainerRun.self, ContainerCreate.self, ContainerStart.self, ContainerStop.self, ContainerKill.self,
        ContainerRestart.self, GroupRm.self, GroupPs.self, ContainerInspect.self, ContainerLogs.self,
        ContainerExec.self, ContainerCopy.self, ContainerStatsCommand.self, ContainerTop.self, ContainerPause.self,
        ContainerUnpause.self, ContainerWait.self, ContainerUpdate.self, ContainerPort.self,
    ] + firstHourCommands

    /// attach, diff, commit, export, rename.
    static let firstHourCommands: [any ParsableCommand.Type] = [
        ContainerAttach.self, ContainerDiff.self, ContainerCommit.self, ContainerExport.self, ContainerRename.self,
    ]

    static let configuration = CommandConfiguration(
        commandName: "container", abstract: "Manage containers.",
        discussion: "EXAMPLES\n  cnc container ls -a\n  cnc container rm -f web\n  cnc container prune -f", subcommands: shared + [ContainerPrune.self])
}
