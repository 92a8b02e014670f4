import Glibc

/// The root's event log (`<root>/events.log`), what `cnc events` reads: one docker event
/// message per line, as docker's API streams them. Every writer (the CLI, the runtime, each
/// monitor) appends a whole line with one write(2) on an O_APPEND descriptor, so lines never
/// interleave and no lock or transaction sits on the start path; past `maxBytes` the file moves
/// to `events.log.1` (the previous one dropped), as docker keeps only recent events.
public enum EventLog {
    public static let fileName = "events.log"
    public static let maxBytes: Int = 4 << 20
    /// The file in a container's directory that holds its name after a `cnc rename`: the
    /// running monitor's events (die, health_status) name the container by it.
    public static let renamedFile = "renamed"

    /// Docker's message: `{"status","id","from","Type","Action","Actor":{"ID","Attributes"},"scope","time","timeNano"}`
    /// (status/id/from only for containers, as docker's compatibility fields). Attributes sorted by key.
    public static func line(type: String, action: String, id: String, attributes: [(String, String)], nanos: Int64) -> String {
        let attrs = attributes.sorted { $0.0 < $1.0 }.map { JSONText.quoted($0.0) + ":" + JSONText.quoted($0.1) }.joined(separator: ",")
        var s = "{"
        if type == "container" {
            s += "\"status\":" + JSONText.quoted(action) + ",\"id\":" + JSONText.quoted(id) + ","
            if let image = attributes.first(where: { $0.0 == "image" }) { s += "\"from\":" + JSONText.quoted(image.1) + "," }
        }
        s += "\"Type\":" + JSONText.quoted(type) + ",\"Action\":" + JSONText.quoted(action)
        s += ",\"Actor\":{\"ID\":" + JSONText.quoted(id) + ",\"Attributes\":{" + attrs + "}}"
        s += ",\"scope\":\"local\",\"time\":\(nanos / 1_000_000_000),\"timeNano\":\(nanos)}\n"
        return s
    }

    /// Appends one event to the log at `path` (best effort: an event that cannot be written
    /// never fails the operation it reports).
    public static func append(_ path: String, type: String, action: String, id: String, attributes: [(String, String)], nanos: Int64 = SystemClock.realtimeNanos()) {
        let bytes = Array(line(type: type, action: action, id: id, attributes: attributes, nanos: nanos).utf8)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n > 0, lseek(fd, 0, SEEK_CUR) > maxBytes { rename(path, path + ".1") }
        close(fd)
    }
}
