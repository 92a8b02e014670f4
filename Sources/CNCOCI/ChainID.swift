import CNCCore

/// Chain IDs as the image spec defines them: ChainID(L0) = DiffID(L0),
/// ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). `sha256` hashes UTF-8 text.
public enum ChainID {
    public static func chain(_ diffIDs: [Digest], sha256: (String) throws -> Digest) rethrows -> [Digest] {
        var out: [Digest] = []
        out.reserveCapacity(diffIDs.count)
        for d in diffIDs {
            if let last = out.last { out.append(try sha256("\(last) \(d)")) } else { out.append(d) }
        }
        return out
    }
}
