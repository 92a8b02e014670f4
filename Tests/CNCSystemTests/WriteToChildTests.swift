import Glibc
import Testing
@testable import CNCSystem

/// A write to a child that died (the release byte of a start whose init failed its mounts):
/// an EPIPE error, never a SIGPIPE that would end the caller mid-start.
@Suite struct WriteToChildTests {
    @Test func aGoneReaderIsAnErrorNotASignal() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        close(fds[0])
        let writer = fds[1]
        defer { close(writer) }
        var threw = false
        do { try FD.writeToChild(writer, [1]) } catch { threw = true }
        #expect(threw)
        // Still alive, SIGPIPE not left pending nor blocked on this thread.
        var pending = sigset_t(), mask = sigset_t()
        sigpending(&pending)
        pthread_sigmask(SIG_SETMASK, nil, &mask)
        #expect(sigismember(&pending, SIGPIPE) == 0 && sigismember(&mask, SIGPIPE) == 0)
    }
}
