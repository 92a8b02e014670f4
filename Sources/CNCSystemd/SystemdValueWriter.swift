import CNCCgroups
import CSystemd

/// Writes a SystemdValue into an sd-bus message as a variant (`v`).
enum SystemdValueWriter {
    static func append(_ m: OpaquePointer, _ value: SystemdValue, name: String) throws {
        let what = "append the value of \(name)"
        func variant(_ sig: String, _ body: () throws -> Void) throws {
            try SDBusClient.check(sd_bus_message_open_container(m, CChar(UInt8(ascii: "v")), sig), what)
            try body()
            try SDBusClient.check(sd_bus_message_close_container(m), what)
        }
        func array(_ contents: String, _ body: () throws -> Void) throws {
            try SDBusClient.check(sd_bus_message_open_container(m, CChar(UInt8(ascii: "a")), contents), what)
            try body()
            try SDBusClient.check(sd_bus_message_close_container(m), what)
        }
        func pair(_ contents: String, _ body: () throws -> Void) throws {
            try SDBusClient.check(sd_bus_message_open_container(m, CChar(UInt8(ascii: "r")), contents), what)
            try body()
            try SDBusClient.check(sd_bus_message_close_container(m), what)
        }
        func uint64(_ v: UInt64) throws {
            var v = v
            try SDBusClient.check(sd_bus_message_append_basic(m, CChar(UInt8(ascii: "t")), &v), what)
        }
        switch value {
        case .bool(let b): try variant("b") { try SDBusClient.appendBool(m, b) }
        case .string(let s): try variant("s") { try SDBusClient.appendString(m, s) }
        case .uint64(let v): try variant("t") { try uint64(v) }
        case .uint32s(let list):
            try variant("au") {
                try SDBusClient.check(list.withUnsafeBytes { sd_bus_message_append_array(m, CChar(UInt8(ascii: "u")), $0.baseAddress, $0.count) }, what)
            }
        case .bytes(let bytes):
            try variant("ay") {
                try SDBusClient.check(bytes.withUnsafeBytes { sd_bus_message_append_array(m, CChar(UInt8(ascii: "y")), $0.baseAddress, $0.count) }, what)
            }
        case .pathStrings(let list):
            try variant("a(ss)") {
                try array("(ss)") {
                    for e in list { try pair("ss") { try SDBusClient.appendString(m, e.path); try SDBusClient.appendString(m, e.value) } }
                }
            }
        case .pathNumbers(let list):
            try variant("a(st)") {
                try array("(st)") {
                    for e in list { try pair("st") { try SDBusClient.appendString(m, e.path); try uint64(e.value) } }
                }
            }
        }
    }
}
