import CNCCore
import CNCOCI
import Foundation

/// Dockerfile-style instructions accepted by `cnc import --change` (Docker's list):
/// CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR.
public enum ImageChange {
    public static func apply(_ line: String, to c: inout ContainerConfig) throws {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
            throw CNCError(.invalidArgument, "invalid --change \"\(line)\": want INSTRUCTION ARGUMENTS, e.g. CMD [\"sh\"]")
        }
        let keyword = trimmed[..<space].uppercased()
        let rest = trimmed[space...].trimmingCharacters(in: .whitespaces)
        func fail(_ why: String) -> CNCError { CNCError(.invalidArgument, "invalid --change \"\(line)\": \(why)") }
        switch keyword {
        case "CMD": c.cmd = try commandForm(rest, fail)
        case "ENTRYPOINT": c.entrypoint = try commandForm(rest, fail)
        case "WORKDIR": c.workingDir = rest
        case "USER": c.user = rest
        case "STOPSIGNAL": c.stopSignal = rest
        case "ONBUILD": c.onBuild = (c.onBuild ?? []) + [rest]
        case "ENV":
            var env = c.env ?? []
            for (k, v) in try keyValues(rest, fail) {
                env.removeAll { $0.hasPrefix(k + "=") }
                env.append("\(k)=\(v)")
            }
            c.env = env
        case "LABEL":
            var labels = c.labels ?? [:]
            for (k, v) in try keyValues(rest, fail) { labels[k] = v }
            c.labels = labels
        case "EXPOSE":
            var ports = c.exposedPorts ?? [:]
            for p in rest.split(separator: " ") {
                let parts = p.split(separator: "/")
                guard let port = parts.first, UInt16(port) != nil, parts.count <= 2,
                      parts.count == 1 || ["tcp", "udp", "sctp"].contains(parts[1].lowercased()) else {
                    throw fail("\"\(p)\" is not a port (want 80, 80/tcp or 53/udp)")
                }
                ports[parts.count == 1 ? "\(port)/tcp" : "\(port)/\(parts[1].lowercased())"] = EmptyObject()
            }
            c.exposedPorts = ports
        case "VOLUME":
            var vols = c.volumes ?? [:]
            let list: [String] = rest.hasPrefix("[") ? try jsonArray(rest, fail) : rest.split(separator: " ").map(String.init)
            for v in list { vols[v] = EmptyObject() }
            c.volumes = vols
        default:
            throw fail("unsupported instruction \(keyword) (supported: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)")
        }
    }

    /// Exec form `["a","b"]`, or shell form `a b` -> ["/bin/sh", "-c", "a b"].
    static func commandForm(_ text: String, _ fail: (String) -> CNCError) throws -> [String] {
        if text.hasPrefix("[") { return try jsonArray(text, fail) }
        return ["/bin/sh", "-c", text]
    }

    static func jsonArray(_ text: String, _ fail: (String) -> CNCError) throws -> [String] {
        guard let a = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
            throw fail("\(text) is not a JSON array of strings")
        }
        return a
    }

    /// `K=V K2="v 2"` or the legacy `K V`.
    static func keyValues(_ text: String, _ fail: (String) -> CNCError) throws -> [(String, String)] {
        if let firstSpace = text.firstIndex(of: " "), !text[..<firstSpace].contains("=") {
            return [(String(text[..<firstSpace]), text[firstSpace...].trimmingCharacters(in: .whitespaces))]
        }
        var out: [(String, String)] = []
        var i = text.startIndex
        while i < text.endIndex {
            while i < text.endIndex, text[i] == " " { i = text.index(after: i) }
            guard i < text.endIndex else { break }
            guard let eq = text[i...].firstIndex(of: "=") else { throw fail("\"\(text[i...])\" is not KEY=VALUE") }
            let key = String(text[i..<eq])
            var j = text.index(after: eq)
            var value = ""
            if j < text.endIndex, text[j] == "\"" {
                j = text.index(after: j)
                while j < text.endIndex, text[j] != "\"" {
                    if text[j] == "\\", text.index(after: j) < text.endIndex { j = text.index(after: j) }
                    value.append(text[j])
                    j = text.index(after: j)
                }
                guard j < text.endIndex else { throw fail("unterminated quote") }
                j = text.index(after: j)
            } else {
                while j < text.endIndex, text[j] != " " { value.append(text[j]); j = text.index(after: j) }
            }
            guard !key.isEmpty else { throw fail("empty key") }
            out.append((key, value))
            i = j
        }
        return out
    }
}
