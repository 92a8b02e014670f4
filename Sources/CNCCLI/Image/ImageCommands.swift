import ArgumentParser

extension CNCCommand {
    /// cnc image commands at the top level, as docker has them (images, history, pull, push, tag,
    /// save, load, import, rmi, build), and the `image` group.
    static let imageCommands: [any ParsableCommand.Type] = TopLevel.unaliased([
        ImageGroup.self, GroupImages.self, ImageHistory.self, ImageBuild.self, ImageImport.self, ImageTag.self, GroupRmi.self,
        ImageSave.self, ImageLoad.self, PullHandOff.self, PushHandOff.self, LoginHandOff.self, LogoutHandOff.self,
    ]) + [BuildSentinelCommand.self]
}

/// `cnc image ...`: the image management group (docker's `docker image`).
struct ImageGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Manage images.",
        discussion: "EXAMPLES\n  cnc image ls\n  cnc image inspect busybox\n  cnc image prune -a",
        subcommands: [
            GroupImages.self, ImageBuild.self, ImageInspect.self, ImageHistory.self, ImageTagHistory.self, ImagePrune.self,
            ImageImport.self, ImageTag.self, GroupRmi.self, ImageSave.self, ImageLoad.self, PullHandOff.self, PushHandOff.self,
        ])
}
