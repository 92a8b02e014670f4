import ArgumentParser

extension CNCCommand {
    /// cnc container commands (run, create, start, stop, ps, inspect, exec, logs, ...).
    static let containerCommands: [any ParsableCommand.Type] = [
        ContainerRun.self, ContainerCreate.self, ContainerStart.self, ContainerStop.self, ContainerKill.self,
        ContainerRestart.self, ContainerRemove.self, ContainerList.self, ContainerInspect.self, ContainerLogs.self,
        ContainerExec.self, ContainerCopy.self, ContainerStatsCommand.self, ContainerTop.self, ContainerPause.self,
        ContainerUnpause.self, ContainerWait.self, ContainerUpdate.self, ContainerPort.self, ContainerNetworkHook.self,
    ]
}
