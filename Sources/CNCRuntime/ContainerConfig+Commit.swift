import CNCOCI

extension ContainerConfig {
    /// The execution defaults an image committed from this container gets (Docker's commit
    /// takes the container's config): its command, environment, user, working directory,
    /// labels and stop signal over `base` (the parent image's), which keeps the rest (exposed
    /// ports, volumes, health check, shell, ONBUILD).
    public func committedDefaults(over base: CNCOCI.ContainerConfig?) -> CNCOCI.ContainerConfig {
        var out = base ?? CNCOCI.ContainerConfig()
        out.entrypoint = entrypoint.isEmpty ? nil : entrypoint
        out.cmd = cmd.isEmpty ? nil : cmd
        out.env = env.isEmpty ? nil : env
        out.user = user.isEmpty ? nil : user
        // "/" is the runtime's default, not a choice, unless the image made it one.
        if workingDir != "/" || base?.workingDir != nil { out.workingDir = workingDir }
        out.labels = labels.isEmpty ? nil : labels
        if stopSignal != "SIGTERM" || base?.stopSignal != nil { out.stopSignal = stopSignal }
        return out
    }
}
