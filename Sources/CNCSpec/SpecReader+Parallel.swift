import Dispatch
import Foundation

extension SpecReader {
    /// Services are independent, so a large spec reads them on all cores: each chunk gets its
    /// own reader (diagnostics are merged, then sorted, so the output is the same as serial).
    func readServices(_ list: [(String, YAMLNode, SourceMark)]) -> [(String, ServiceSpec)] {
        let chunks = list.count < 200 ? 1 : min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
        if chunks == 1 { return readServiceChunk(list[...]) }
        let size = (list.count + chunks - 1) / chunks
        let readers = (0..<chunks).map { _ in
            let r = SpecReader(variables: variables, baseDirs: baseDirs, defaultBaseDir: defaultBaseDir)
            r.sourceMap = sourceMap
            r.sealed = sealed
            r.rootless = rootless
            r.failedInterpolations = failedInterpolations
            return r
        }
        let work = ChunkWork(readers: readers)
        defer {
            _ = work.results.deinitialize()
            work.results.deallocate()
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let slice = list[min(c * size, list.count)..<min((c + 1) * size, list.count)]
            work.results[c] = work.readers[c].readServiceChunk(slice)
        }
        let results = work.results
        var out: [(String, ServiceSpec)] = []
        out.reserveCapacity(list.count)
        for c in 0..<chunks {
            out += results[c]
            diagnostics += readers[c].diagnostics
            sourcePaths.merge(readers[c].sourcePaths) { a, _ in a }
            envFilesRead.formUnion(readers[c].envFilesRead)
        }
        return out
    }

    private func readServiceChunk(_ list: ArraySlice<(String, YAMLNode, SourceMark)>) -> [(String, ServiceSpec)] {
        var out: [(String, ServiceSpec)] = []
        out.reserveCapacity(list.count)
        for (name, value, keyMark) in list {
            if !Names.isResourceKey(name) {
                error(keyMark, "services.\(name)", "invalid service name (must match [a-zA-Z0-9._-]+)")
                continue
            }
            if let s = readService(name, value) { out.append((name, s)) }
        }
        return out
    }
}

/// Per-chunk readers and results: iteration c touches only readers[c] and results[c], so
/// sharing the box across threads is safe although the compiler cannot prove it.
private final class ChunkWork: @unchecked Sendable {
    let readers: [SpecReader]
    let results: UnsafeMutableBufferPointer<[(String, ServiceSpec)]>

    init(readers: [SpecReader]) {
        self.readers = readers
        results = .allocate(capacity: readers.count)
        results.initialize(repeating: [])
    }
}
