import CNCCore
import CNCSystem
import Synchronization

/// Apply progress: on a terminal one live line per service, redrawn in place (like Compose);
/// in a pipe, plain lines as things happen.
final class ProgressView: Sendable {
    private struct State {
        var order: [String] = []
        var status: [String: String] = [:]
        var drawn = 0
        var writes = 0
    }

    private let state = Mutex(State())
    private let live: Bool
    private let write: @Sendable (String) -> Void

    init(live: Bool = TerminalInfo.isTerminal(1), write: @escaping @Sendable (String) -> Void = TerminalInfo.writeStdout) {
        self.live = live
        self.write = write
    }

    /// Reports `status` for `subject` (a service, network or volume).
    func update(_ subject: String, _ status: String) {
        state.withLock { s in
            s.writes += 1
            if s.status[subject] == nil { s.order.append(subject) }
            s.status[subject] = status
            if live { write(Self.redraw(&s)) } else { write("\(subject): \(status)\n") }
        }
    }

    /// How many notes and updates this view wrote.
    var writes: Int { state.withLock { $0.writes } }

    /// Leaves the live block as it stands: later notes (and other streams) go below it.
    func finish() {
        state.withLock { $0.drawn = 0 }
    }

    /// A plain line above the live block (warnings, summaries).
    func note(_ line: String) {
        state.withLock { s in
            s.writes += 1
            guard live else { write(line + "\n"); return }
            // Clear the block, print the note, draw the block again below it.
            var out = s.drawn > 0 ? "\u{1b}[\(s.drawn)A\u{1b}[J" : ""
            s.drawn = 0
            out += line + "\n"
            out += Self.redraw(&s)
            write(out)
        }
    }

    private static func redraw(_ s: inout State) -> String {
        var out = s.drawn > 0 ? "\u{1b}[\(s.drawn)A" : ""
        let width = s.order.map(\.count).max() ?? 0
        for name in s.order {
            out += "\u{1b}[2K " + name + String(repeating: " ", count: width - name.count) + "  " + (s.status[name] ?? "") + "\n"
        }
        s.drawn = s.order.count
        return out
    }
}
