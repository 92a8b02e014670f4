import CNCCore
import CNCRuntime

/// The runtime-level suites' common setup: a Runtime on the harness's root and busybox
/// containers of its rootfs.
extension CNCHarness {
    /// A runtime on this harness's state root (its run root inside it), with the built helpers.
    func runtime() throws -> Runtime { try Runtime(stateRoot: root, runRoot: root + "/run", binDirectory: Self.binDir) }

    /// A busybox container of the harness's rootfs that runs `cmd` (not created yet).
    static func busybox(_ name: String, _ cmd: [String]) -> ContainerConfig {
        var c = ContainerConfig(id: ContainerID.random(), name: name, image: "busybox", lowerDirs: [rootfs])
        c.cmd = cmd
        return c
    }
}
