import CNCCore
import CNCImageStore
import CNCRuntime
import CNCSystem

/// A no-change `cnc build` in the front: cnc-cli's start (a large binary, Foundation,
/// ArgumentParser: ~10 ms) was most of such a rebuild. When the invocation is one of the plain
/// forms (BuildReplayTicket.BuildInvocation) and its ticket, written by cnc-cli's last replay of
/// the same invocation, still holds, the front does what that replay did: touches the step
/// cache entries, logs the tag events, writes --iidfile, prints the same output. Anything else
/// (no ticket, any change, a killed build's leftovers to sweep, rootless, SOURCE_DATE_EPOCH)
/// goes to cnc-cli, which then behaves exactly as if it had been called directly.
enum BuildPath {
    static func attempt(_ original: [String]) -> StartPath.Outcome {
        guard let invocation = BuildReplayTicket.BuildInvocation(original), BuildReplayTicket.environmentAllows else { return .declined }
        let stateRoot = Runtime.stateRoot(option: invocation.root)
        // A killed build's RUN containers and scratch are swept by the next full build; another
        // build running has its scratch there too: either way, the full path.
        if let leftovers = try? FileSystem.listDirectory(stateRoot + "/build-tmp"), !leftovers.isEmpty { return .declined }
        Trace.mark("parsed (build path)")
        // The replay's hold: image garbage collection waits until the output is written.
        guard let hold = try? FileLock(path: ImageStorePaths(stateRoot: stateRoot).ingestLock, exclusive: false) else { return .declined }
        defer { hold.unlock() }
        guard let ticket = BuildReplayTicket.load(invocation, stateRoot: stateRoot) else { return .declined }
        for p in ticket.touched { _ = FileSystem.touch(p) }
        // A file that cannot be written: cnc-cli's error, after the same replay (touching again
        // is harmless; nothing was printed or logged yet).
        if let iidfile = invocation.iidfile, (try? FileSystem.writeAtomically(ticket.imageID, to: iidfile)) == nil { return .declined }
        writeStderr(ticket.stderr)
        for e in ticket.events { Runtime.recordEvent(root: stateRoot, type: "image", action: e.action, id: e.id, attributes: ["name": e.name]) }
        if !ticket.stdout.isEmpty { TerminalInfo.writeStdout(ticket.stdout) }
        Trace.mark("build (front): replayed")
        return .done(0)
    }
}
