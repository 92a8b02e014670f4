import CNCBuild
import CNCSystem

extension Builder {
    /// One level of the stage graph: stages that need nothing from each other, each on a thread
    /// of its own when there are several (a probe walks them in order). The first failure
    /// cancels the others (their RUNs are killed) and is what the build reports.
    func buildLevel(_ level: [Int], _ graph: BuildGraph, multi: Bool) throws -> [(Int, StageState)] {
        if level.count == 1 || probing {
            return try level.map { ($0, try buildStage(graph, graph.stages[$0], multi: multi)) }
        }
        let workers = level.map { s in
            Threads.start { [self] () throws -> StageState in
                do { return try buildStage(graph, graph.stages[s], multi: multi) } catch {
                    cancellation.fail(error)
                    throw error
                }
            }
        }
        var built: [(Int, StageState)] = []
        var other: (any Error)?
        for (s, worker) in zip(level, workers) {
            do { built.append((s, try worker.join())) } catch { other = other ?? error }
        }
        if let first = cancellation.failure ?? other { throw first }
        return built
    }
}
