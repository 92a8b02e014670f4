import CNCCore
import Foundation

/// One line of the event log (docker's events.Message) and how `cnc events` filters and prints it.
struct EventMessage {
    var raw: String
    var json: JSONValue
    var type: String
    var action: String
    var id: String
    var attributes: [String: String]
    var timeNano: Int64

    init?(line: String) {
        guard let doc = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)), case .object(let o) = doc,
              case .string(let type)? = o["Type"], case .string(let action)? = o["Action"],
              case .object(let actor)? = o["Actor"], case .string(let id)? = actor["ID"] else { return nil }
        raw = line
        json = doc
        self.type = type
        self.action = action
        self.id = id
        var attrs: [String: String] = [:]
        if case .object(let a)? = actor["Attributes"] { for (k, v) in a { if case .string(let s) = v { attrs[k] = s } } }
        attributes = attrs
        switch o["timeNano"] {
        case .int(let n)?: timeNano = n
        case .double(let d)?: timeNano = Int64(d)
        default: timeNano = 0
        }
    }

    /// Docker's line: `2026-12-03T17:45:28.123456789Z container start <id> (image=busybox, name=x)`.
    var text: String {
        var s = EventText.stamp(timeNano) + " " + type + " " + action + " " + id
        if !attributes.isEmpty {
            s += " (" + attributes.keys.sorted().map { "\($0)=\(attributes[$0] ?? "")" }.joined(separator: ", ") + ")"
        }
        return s
    }
}

enum EventText {
    /// RFC 3339 in UTC with nine fraction digits (docker's RFC3339NanoFixed).
    static func stamp(_ nanos: Int64) -> String { ContainerLogs.logStamp(nanos) }

    /// The filter keys that select something (completed by the shells).
    static let filterKeys = ["container", "event", "image", "label", "network", "scope", "type", "volume"]

    /// `--filter` values grouped by key: values of one key match any, keys must all match.
    static func filters(_ list: [String]) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        let known: Set = ["type", "event", "container", "image", "label", "network", "volume", "scope", "daemon", "plugin", "node", "service", "secret", "config"]
        for f in list {
            let kv = f.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw CNCError(.invalidArgument, "bad format of filter (expected name=value)") }
            guard known.contains(kv[0]) else { throw CNCError(.invalidArgument, "invalid filter '\(kv[0])'") }
            out[kv[0], default: []].append(kv[1])
        }
        return out
    }

    /// Docker's event filter: type and event exactly; container by ID or name prefix; image by
    /// ID or name, with or without the tag; label KEY or KEY=VALUE among the attributes;
    /// network and volume by ID or name.
    static func matches(_ e: EventMessage, _ filters: [String: [String]]) -> Bool {
        for (key, values) in filters {
            let ok: Bool
            switch key {
            case "type": ok = values.contains(e.type)
            case "event": ok = values.contains { $0 == e.action || e.action.hasPrefix($0 + ":") }
            case "container":
                ok = e.type == "container" && values.contains { v in e.id.hasPrefix(v) || (e.attributes["name"]?.hasPrefix(v) ?? false) }
            case "image":
                let name = e.attributes[e.type == "image" ? "name" : "image"] ?? ""
                ok = values.contains { v in [e.id, name, stripTag(e.id), stripTag(name)].contains(v) }
            case "label":
                ok = values.contains { v in
                    let kv = v.split(separator: "=", maxSplits: 1).map(String.init)
                    guard let value = e.attributes[kv[0]] else { return false }
                    return kv.count == 1 || value == kv[1]
                }
            case "network", "volume":
                ok = e.type == key && values.contains { e.id == $0 || e.attributes["name"] == $0 }
            case "scope": ok = values.contains("local")
            default: ok = false
            }
            if !ok { return false }
        }
        return true
    }

    static func stripTag(_ image: String) -> String {
        guard let colon = image.lastIndex(of: ":"), !image[colon...].contains("/") else { return image }
        return String(image[..<colon])
    }
}
