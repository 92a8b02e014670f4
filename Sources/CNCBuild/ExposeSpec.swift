/// EXPOSE's port words as Docker reads them (go-connections' nat.ParsePortSpecs):
/// `PORT[-END][/PROTO]`, optionally after `[IP:]HOST_PORT:` (ignored: an image publishes
/// nothing); the protocol is tcp, udp or sctp in any case; a range names every port in it.
public enum ExposeSpec {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The config's ExposedPorts keys for one word: `["8000/tcp", "8001/tcp"]`.
    public static func ports(_ word: String) throws(Failure) -> [String] {
        var body = Substring(word)
        var proto = "tcp"
        if let slash = body.lastIndex(of: "/") {
            proto = body[body.index(after: slash)...].lowercased()
            body = body[..<slash]
            guard ["tcp", "udp", "sctp"].contains(proto) else { throw Failure(message: "Invalid proto: \(proto)") }
        }
        if let colon = body.lastIndex(of: ":") { body = body[body.index(after: colon)...] }
        let ends = body.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let lo = UInt16(ends[0]), let hi = ends.count == 2 ? UInt16(ends[1]) : lo, hi >= lo else {
            throw Failure(message: "Invalid containerPort: \(body)")
        }
        return (lo...hi).map { "\($0)/\(proto)" }
    }
}
