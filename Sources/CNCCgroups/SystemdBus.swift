import CNCCore
import CNCSystem
import Synchronization

/// The wire client of systemd's manager (SystemdManagerClient): one D-Bus connection to
/// org.freedesktop.systemd1, jobs waited for through JobRemoved. As root it talks to systemd
/// directly on /run/systemd/private (what systemctl does: no bus daemon in between), else
/// through the system bus. The wire protocol is cnc's own (CNCSystem's DBusConnection), not
/// libsystemd's sd-bus: the static `cnc` front cannot load a shared library, so its run/create/
/// update fast path uses this client; cnc-cli and cncapply use sd-bus (CNCSystemd's
/// SDBusClient). Every call holds the connection's mutex.
public final class SystemdBus: SystemdManagerClient {
    /// How long a job may take before the caller gets an error (runc's limit).
    public static let jobTimeoutMicros: UInt64 = 30_000_000
    static let callTimeoutNanos: Int64 = 25_000_000_000
    public static let privateSocket = "/run/systemd/private"
    static let systemBusSocket = "/run/dbus/system_bus_socket"

    private let state: Mutex<Connection?>
    public let address: String?

    struct Connection: SystemdManagerSession, @unchecked Sendable {
        let dbus: DBusConnection
        let jobs: JobBox

        func sendStart(_ unit: String, _ properties: [SystemdProperty]) throws -> UInt64 {
            UInt64(try dbus.send(SystemdBus.startMessage(unit, properties)))
        }

        func startReply(_ token: UInt64) throws -> String? {
            SystemdBus.firstString(try dbus.reply(to: UInt32(truncatingIfNeeded: token), method: "StartTransientUnit",
                                                  deadline: Processes.monotonicNanos() + SystemdBus.callTimeoutNanos))
        }

        func call(_ method: String, strings: [String]) throws -> String? { try SystemdBus.call(self, method, strings: strings) }

        func setUnitProperties(_ unit: String, runtime: Bool, _ properties: [SystemdProperty]) throws {
            try SystemdBus.call(self, "SetUnitProperties", signature: "sba(sv)", strings: [unit]) { w in
                w.bool(runtime)
                SystemdBus.appendProperties(&w, properties)
            }
        }

        func waitForJob(_ job: String, unit: String, what: String) throws -> String { try SystemdBus.waitForJob(self, job, unit: unit, what: what) }
    }

    /// Jobs that ended, by object path (filled as JobRemoved signals are read).
    final class JobBox: @unchecked Sendable {
        var results: [String: String] = [:]
    }

    /// `address`: a D-Bus address to use instead (tests); nil picks as described above.
    public init(address: String? = nil) {
        self.address = address
        state = Mutex(nil)
    }

    /// Runs `body` on the open connection (opened on first use).
    func with<T>(_ body: (Connection) throws -> T) throws -> T {
        try state.withLock { c in
            if c == nil { c = try Self.open(address); Trace.mark("systemd bus: connected (wire)") }
            guard let conn = c else { throw CNCError(.internal, "no bus connection") }
            return try body(conn)
        }
    }

    public func withSession<T>(_ body: (any SystemdManagerSession) throws -> T) throws -> T {
        try with { c in try body(c) }
    }

    static func socketPath(_ address: String) throws -> String {
        guard address.hasPrefix("unix:path=") else { throw CNCError(.unsupported, "unsupported D-Bus address \(address): want unix:path=...") }
        return String(address.dropFirst("unix:path=".count).prefix { $0 != "," })
    }

    static func open(_ address: String?) throws -> Connection {
        let dbus: DBusConnection
        var direct = true
        if let address {
            direct = !address.contains("system_bus_socket")
            dbus = try DBusConnection(path: try socketPath(address), bus: !direct)
        } else if Host.effectiveUserID == 0, FileSystem.exists(privateSocket), let d = try? DBusConnection(path: privateSocket, bus: false) {
            dbus = d
        } else {
            direct = false
            let env = Host.environment("DBUS_SYSTEM_BUS_ADDRESS")
            let path = try env.map(socketPath) ?? systemBusSocket
            do { dbus = try DBusConnection(path: path, bus: true) } catch {
                throw CNCError(.system, "failed to connect to the system bus: \(error)")
            }
        }
        let jobs = JobBox()
        // Registered before any call, so no job can end unseen.
        dbus.onSignal = { m in
            guard m.member == "JobRemoved", m.interface == "org.freedesktop.systemd1.Manager" else { return }
            var r = m.reader
            guard (try? r.uint32()) != nil, let job = try? r.string(), (try? r.string()) != nil, let result = try? r.string() else { return }
            jobs.results[job] = result
        }
        let conn = Connection(dbus: dbus, jobs: jobs)
        if !direct {
            // Through a bus daemon: a match for the signal, and systemd sends job signals only
            // to subscribers.
            var w = DBusWriter()
            w.string("type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.systemd1.Manager',member='JobRemoved',path='/org/freedesktop/systemd1'")
            try dbus.call(.call(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
                                member: "AddMatch", signature: "s", body: w.bytes))
            try call(conn, "Subscribe")
        }
        return conn
    }

    // MARK: calls

    static func message(_ method: String, signature: String, _ append: (inout DBusWriter) -> Void) -> DBusMessage {
        var w = DBusWriter()
        append(&w)
        return .call(destination: "org.freedesktop.systemd1", path: "/org/freedesktop/systemd1",
                     interface: "org.freedesktop.systemd1.Manager", member: method, signature: signature, body: w.bytes)
    }

    /// A method of org.freedesktop.systemd1.Manager: `strings` first, then what `then` writes
    /// (`signature` covers both; default: the strings'). Returns the reply's first object path
    /// or string, if it has one.
    @discardableResult
    static func call(_ c: Connection, _ method: String, signature: String? = nil, strings: [String] = [],
                     then extra: ((inout DBusWriter) -> Void)? = nil) throws -> String? {
        try firstString(c.dbus.reply(to: send(c, method, signature: signature, strings: strings, then: extra), method: method,
                                     deadline: Processes.monotonicNanos() + callTimeoutNanos))
    }

    /// StartTransientUnit(unit, "fail", properties, no auxiliary units).
    static func startMessage(_ unit: String, _ properties: [SystemdProperty]) -> DBusMessage {
        message("StartTransientUnit", signature: "ssa(sv)a(sa(sv))") { w in
            w.string(unit)
            w.string("fail")
            appendProperties(&w, properties)
            // No auxiliary units: a(sa(sv)), empty.
            w.array(elementAlignment: 8) { _ in }
        }
    }

    /// The call without waiting for its reply: its serial.
    static func send(_ c: Connection, _ method: String, signature: String? = nil, strings: [String] = [],
                     then extra: ((inout DBusWriter) -> Void)? = nil) throws -> UInt32 {
        try c.dbus.send(message(method, signature: signature ?? String(repeating: "s", count: strings.count)) { w in
            for s in strings { w.string(s) }
            extra?(&w)
        })
    }

    static func firstString(_ reply: DBusMessage) -> String? {
        guard let first = reply.signature.first, first == "o" || first == "s" else { return nil }
        var r = reply.reader
        return try? r.string()
    }

    /// Waits until `job` ended (JobRemoved) and returns its result ("done", "failed", ...).
    static func waitForJob(_ c: Connection, _ job: String, unit: String, what: String) throws -> String {
        let deadline = Processes.monotonicNanos() + Int64(jobTimeoutMicros) * 1000
        while true {
            if let r = c.jobs.results.removeValue(forKey: job) { return r }
            guard try c.dbus.readMore(deadline: deadline) else {
                throw CNCError(.timeout, "failed to \(what) unit \(unit): its job \(job) did not finish within \(jobTimeoutMicros / 1_000_000) s")
            }
        }
    }

    /// Appends `a(sv)`.
    static func appendProperties(_ w: inout DBusWriter, _ props: [SystemdProperty]) {
        w.array(elementAlignment: 8) { a in
            for p in props {
                a.structure { s in
                    s.string(p.name)
                    appendValue(&s, p.value)
                }
            }
        }
    }

    /// A property's value as a variant (`v`).
    static func appendValue(_ w: inout DBusWriter, _ value: SystemdValue) {
        switch value {
        case .bool(let b): w.variant("b") { $0.bool(b) }
        case .string(let s): w.variant("s") { $0.string(s) }
        case .uint64(let v): w.variant("t") { $0.uint64(v) }
        case .uint32s(let list): w.variant("au") { v in v.array(elementAlignment: 4) { a in for x in list { a.uint32(x) } } }
        case .bytes(let bytes): w.variant("ay") { v in v.array(elementAlignment: 1) { a in for b in bytes { a.byte(b) } } }
        case .pathStrings(let list):
            w.variant("a(ss)") { v in v.array(elementAlignment: 8) { a in for e in list { a.structure { $0.string(e.path); $0.string(e.value) } } } }
        case .pathNumbers(let list):
            w.variant("a(st)") { v in v.array(elementAlignment: 8) { a in for e in list { a.structure { $0.string(e.path); $0.uint64(e.value) } } } }
        }
    }
}
