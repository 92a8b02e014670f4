import CNCCore
import CNCSystem

/// `cnc pull` run as a child (the `cnc-registry` executable beside this one): the executables
/// that need an image they lack (cncapply, `cnc run`/`create` in cnc-cli) link no registry
/// client and its HTTPS stack, so they start fast and ask this one.
public enum RegistryPullProcess {
    public static let executable = "cnc-registry"

    /// Pulls `reference` into `stateRoot`. `options`: more of `cnc pull`'s flags (`--quiet`,
    /// `--insecure-registry H`...). Its progress lines go to `progress` (a descriptor of ours,
    /// nil: discarded); a failure throws with what it printed on stderr as the cause.
    public static func pull(_ reference: String, stateRoot: String, options: [String] = [], progress: Int32?) throws {
        try run("pull", reference, stateRoot: stateRoot, options: options, progress: progress)
    }

    /// Pushes `reference` (a name in `stateRoot`'s store, also the destination), as `cnc push` does.
    public static func push(_ reference: String, stateRoot: String, options: [String] = [], progress: Int32?) throws {
        try run("push", reference, stateRoot: stateRoot, options: options, progress: progress)
    }

    private static func run(_ verb: String, _ reference: String, stateRoot: String, options: [String], progress: Int32?) throws {
        let path = Host.executableDirectory + "/" + executable
        guard FileSystem.isExecutable(path) else {
            throw CNCError(.notFound, "cannot \(verb) \(reference): \(path) is missing")
        }
        let err = try Pipe()
        let devnull = try UniqueFD(open: "/dev/null", FD.readOnly)
        var opts = Spawn.Options()
        opts.fdMap = [devnull.raw, progress ?? devnull.raw, err.write.raw]
        // A failed spawn closes both ends as `err` goes.
        let pid = try Spawn.spawn(path, arguments: ["cnc", verb, "--root", stateRoot] + options + [reference],
                                  environment: Host.environmentList(), options: opts)
        devnull.close()
        err.write.close()
        let message = String(decoding: FD.readAll(err.read.raw), as: UTF8.self).trimmingSpaces
        err.read.close()
        let status = try Spawn.wait(pid)
        guard status == .exited(0) else {
            // cnc's own prefix goes: the error gets the calling tool's one prefix.
            let cause = ErrorText.strippingPrefix(message)
            throw CNCError(verb == "pull" ? .notFound : .network, "failed to \(verb) \(reference)", cause: cause.isEmpty ? "cnc \(verb) exited \(status.shellStatus)" : cause)
        }
    }
}
