import CNCCore
import CNCMonitorCore
import CNCSystem

/// How `cnc attach` connects.
public struct AttachOptions: Sendable {
    /// Relay our input to the container (it was created with -i, and not --no-stdin).
    public var stdin: Bool
    /// Typed after one another (with a terminal), these detach: `cnc attach` ends, the
    /// container runs on.
    public var detachKeys: [UInt8]
    public init(stdin: Bool, detachKeys: [UInt8] = DetachKeys.defaultSequence) {
        self.stdin = stdin
        self.detachKeys = detachKeys
    }
}

/// How an attachment ended.
public enum AttachOutcome: Sendable, Equatable {
    /// The container's main process exited with this code.
    case exited(Int32)
    /// The user typed the detach keys.
    case detached
}

extension Runtime {
    /// The container `ref`, if it can be attached to; else Docker's refusal.
    public func attachable(_ ref: String) throws -> Container {
        let c = try container(ref)
        switch c.state.status {
        case .running: return c
        case .paused: throw CNCError(.conflict, "You cannot attach to a paused container, unpause it first")
        case .restarting: throw CNCError(.conflict, "You cannot attach to a restarting container, wait until it is running")
        default: throw CNCError(.conflict, "You cannot attach to a stopped container, start it first")
        }
    }

    /// Connects to the container's monitor and relays until the container exits or the user
    /// detaches: its output to `output`/`errors` (a terminal's to `output` only), our `input`
    /// to it when `options.stdin`. With a terminal, `input` must be one (Docker's rule); it is
    /// put in raw mode meanwhile and its size follows ours.
    public func attach(_ c: Container, options: AttachOptions, input: Int32 = 0, output: Int32 = 1, errors: Int32 = 2) throws -> AttachOutcome {
        let tty = c.config.tty
        if tty && options.stdin && !Terminal.isTerminal(input) { throw CNCError(.invalidArgument, "the input device is not a TTY") }
        let conn = try connectAttach(c)
        let raw = tty && options.stdin && Terminal.makeRaw(input)
        defer { if raw { Terminal.restore() } }
        var size: (rows: UInt16, columns: UInt16)?
        func followSize() throws {
            guard tty, let now = Terminal.size(output) else { return }
            if let size, size == now { return }
            if size == nil {
                // Docker's trick: another size first, so the program redraws on re-attach.
                try conn.send([AttachProtocol.resize] + Array("\(now.rows &+ 1) \(now.columns &+ 1)".utf8))
            }
            size = now
            try conn.send([AttachProtocol.resize] + Array("\(now.rows) \(now.columns)".utf8))
        }
        try followSize()
        var matcher = EscapeMatcher(keys: tty ? options.detachKeys : [])
        var inputOpen = options.stdin
        var buf = [UInt8](repeating: 0, count: 32768)
        while true {
            let ready = Poll.readable(inputOpen ? [conn.fd, input] : [conn.fd], timeoutMilliseconds: tty ? 250 : -1)
            try followSize()
            if ready[0].readable || ready[0].hangup {
                guard let m = conn.receive(maxSize: AttachProtocol.maxMessage), let tag = m.first else {
                    // The monitor went away without a word: what state.json says.
                    return .exited(store.loadState(c.config.id).exitCode)
                }
                let body = Array(m.dropFirst())
                switch tag {
                case AttachProtocol.stdout: try FD.write(output, body)
                case AttachProtocol.stderr: try FD.write(errors, body)
                case AttachProtocol.exit: return .exited(Int32(String(decoding: body, as: UTF8.self)) ?? 0)
                default: break
                }
            }
            if inputOpen && ready.count > 1 && (ready[1].readable || ready[1].hangup) {
                let n = (try? FD.read(input, into: &buf)) ?? 0
                if n == 0 { inputOpen = false; continue }
                guard let forward = matcher.feed(Array(buf[0..<n])) else { return .detached }
                if !forward.isEmpty { try conn.send([AttachProtocol.stdin] + forward) }
            }
        }
    }

    /// The monitor opens its socket right after the start is reported: a `cnc attach` that
    /// follows `run -d` at once may be a moment early.
    func connectAttach(_ c: Container) throws -> SeqPacketConnection {
        let path = c.directory + "/" + AttachProtocol.socketName
        let deadline = Processes.monotonicNanos() + 2_000_000_000
        while true {
            do { return try SeqPacketConnection(path: path) } catch {
                let state = refreshed(Container(config: c.config, state: store.loadState(c.config.id), directory: c.directory))
                if !state.isActive { throw CNCError(.conflict, "You cannot attach to a stopped container, start it first") }
                if Processes.monotonicNanos() > deadline {
                    throw CNCError(.unsupported, "cannot attach to container \(c.config.name): it has no attach socket (a foreground run with --rm is attached to its own command only)", cause: "\(error)")
                }
                Processes.sleep(milliseconds: 20)
            }
        }
    }
}
