import CNCCore
import Foundation
import Testing

/// Independent stages build side by side on the real kernel: time, readable per-stage progress,
/// and a failing stage cancelling the other (its RUN killed) with the failing line reported.
@Suite(.serialized) struct BuildParallelTests {
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func independentStagesBuildInParallel() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", ["Dockerfile": """
            FROM bb:1 AS one
            RUN sleep 1 && echo one > /one
            FROM bb:1 AS two
            RUN sleep 1 && echo two > /two
            FROM bb:1
            COPY --from=one /one /one
            COPY --from=two /two /two
            CMD ["cat", "/one", "/two"]
            """])
        // The base's layers unpacked and the executables loaded once, so the time is the stages'.
        let warm = try BuildCLITests.context(r, "warm", ["Dockerfile": "FROM bb:1\nRUN true\n"])
        #expect(try r.cnc(["build", "-q", warm]).status == 0)
        let started = Date()
        let b = try r.cnc(["build", "--progress", "plain", "-t", "par:1", ctx])
        let elapsed = Date().timeIntervalSince(started)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(elapsed < 1.8, "two 1 s stages took \(elapsed) s")
        #expect(b.stderr.contains("[one 2/2] RUN sleep 1 && echo one > /one") && b.stderr.contains("[two 2/2] RUN sleep 1 && echo two > /two"), "\(b.stderr)")
        #expect(b.stderr.contains("[stage-2 3/3] COPY --from=two /two /two"), "\(b.stderr)")
        #expect(try r.cnc(["run", "--rm", "par:1"]).stdout == "one\ntwo\n")
        try BuildCLITests.expectClean(r)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func aFailingStageCancelsTheOther() throws {
        let r = try BusyboxRoot()
        let seconds = String(500 + Int(getpid() % 100))
        let ctx = try BuildCLITests.context(r, "ctx", ["Dockerfile": """
            FROM bb:1 AS slow
            RUN sleep \(seconds)
            FROM bb:1 AS broken
            RUN sleep 0.5; echo oops; exit 7
            FROM bb:1
            COPY --from=slow /etc/motd /a
            COPY --from=broken /etc/motd /b
            """])
        let started = Date()
        let b = try r.cnc(["build", "-t", "cancel:1", ctx])
        #expect(Date().timeIntervalSince(started) < 20, "the slow stage was not cancelled")
        #expect(b.status == 1)
        #expect(b.stderr.contains("Error: Dockerfile:4: RUN: process \"/bin/sh -c sleep 0.5; echo oops; exit 7\" did not complete successfully: exit code: 7"), "\(b.stderr)")
        #expect(BuildInterruptTests.pids(of: ["sleep", seconds]).isEmpty, "the other stage's RUN is gone")
        #expect(try BuildCLITests.image(r, "inspect", ["cancel:1"]).status != 0)
        try BuildCLITests.expectClean(r)
    }
}
