@testable import CNCAppCLI
import Synchronization
import Testing

final class Sink: Sendable {
    let text = Mutex("")
    func add(_ s: String) { text.withLock { $0 += s } }
    var value: String { text.withLock { $0 } }
}

@Suite struct ProgressViewTests {
    @Test func pipeGetsPlainLines() {
        let sink = Sink()
        let view = ProgressView(live: false, write: sink.add)
        view.update("web", "creating")
        view.note("warning: x")
        view.update("web", "started")
        #expect(sink.value == "web: creating\nwarning: x\nweb: started\n")
    }

    @Test func terminalRedrawsOneLinePerService() {
        let sink = Sink()
        let view = ProgressView(live: true, write: sink.add)
        view.update("web", "creating")
        view.update("db", "healthy")
        view.update("web", "started")
        let esc = "\u{1b}["
        #expect(sink.value == "\(esc)2K web  creating\n"
            + "\(esc)1A\(esc)2K web  creating\n\(esc)2K db   healthy\n"
            + "\(esc)2A\(esc)2K web  started\n\(esc)2K db   healthy\n")
    }
}
