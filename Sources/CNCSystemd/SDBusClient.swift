import CNCCgroups
import CNCCore
import CNCSystem
import CSystemd
import Synchronization

/// The sd-bus client of systemd's manager (SystemdManagerClient), the one cnc-cli and cncapply
/// use: one libsystemd sd-bus connection to org.freedesktop.systemd1, jobs waited for through
/// JobRemoved. As root it talks to systemd directly on /run/systemd/private (what systemctl
/// does: no bus daemon in between), else through the system bus. The static `cnc` front
/// cannot load libsystemd and uses CNCCgroups' wire client (SystemdBus) instead; both encode
/// the same SystemdProperty values. sd-bus is not thread-safe: every call holds the mutex.
public final class SDBusClient: SystemdManagerClient {
    static let callTimeoutMicros: UInt64 = 25_000_000
    static let privateSocket = SystemdBus.privateSocket

    private let state: Mutex<Connection?>
    public let address: String?

    struct Connection: SystemdManagerSession, @unchecked Sendable {
        let bus: OpaquePointer
        let direct: Bool
        let jobs: JobBox
        let slot: OpaquePointer?

        /// sd-bus makes the call here (sd_bus_call); its outcome waits in `jobs.starts`.
        func sendStart(_ unit: String, _ properties: [SystemdProperty]) throws -> UInt64 {
            let outcome = Result { try SDBusClient.call(self, "StartTransientUnit") { m in try SDBusClient.appendStart(m, unit, properties) } }
            jobs.lastToken += 1
            jobs.starts[jobs.lastToken] = outcome
            return jobs.lastToken
        }

        func startReply(_ token: UInt64) throws -> String? {
            guard let outcome = jobs.starts.removeValue(forKey: token) else { throw CNCError(.internal, "no StartTransientUnit call \(token)") }
            return try outcome.get()
        }

        func call(_ method: String, strings: [String]) throws -> String? {
            try SDBusClient.call(self, method) { m in for s in strings { try SDBusClient.appendString(m, s) } }
        }

        func setUnitProperties(_ unit: String, runtime: Bool, _ properties: [SystemdProperty]) throws {
            try SDBusClient.call(self, "SetUnitProperties") { m in
                try SDBusClient.appendString(m, unit)
                try SDBusClient.appendBool(m, runtime)
                try SDBusClient.appendProperties(m, properties)
            }
        }

        func waitForJob(_ job: String, unit: String, what: String) throws -> String { try SDBusClient.waitForJob(self, job, unit: unit, what: what) }
    }

    /// Jobs that ended, by object path (filled by the JobRemoved handler), and the outcomes of
    /// StartTransientUnit calls not yet asked for.
    final class JobBox: @unchecked Sendable {
        var results: [String: (unit: String, result: String)] = [:]
        var starts: [UInt64: Result<String?, any Error>] = [:]
        var lastToken: UInt64 = 0
    }

    /// `address`: the D-Bus address to use instead (rootless: the user manager's, tests): a
    /// systemd private socket is spoken to directly, any other through its bus daemon (Hello
    /// first; isManagerSocket); nil picks as described above.
    public init(address: String? = nil) {
        self.address = address
        state = Mutex(nil)
    }

    deinit {
        state.withLock { c in
            if let c {
                if let s = c.slot { sd_bus_slot_unref(s) }
                sd_bus_flush_close_unref(c.bus)
            }
            c = nil
        }
    }

    /// Runs `body` on the open connection (opened on first use).
    public func withSession<T>(_ body: (any SystemdManagerSession) throws -> T) throws -> T {
        try state.withLock { c in
            if c == nil { c = try Self.open(address); Trace.mark("systemd bus: connected (sd-bus)") }
            guard let conn = c else { throw CNCError(.internal, "no bus connection") }
            return try body(conn)
        }
    }

    static func open(_ address: String?) throws -> Connection {
        var bus: OpaquePointer?
        var direct = false
        if let address {
            try check(sd_bus_new(&bus), "create a D-Bus connection")
            try check(sd_bus_set_address(bus, address), "use D-Bus address \(address)")
            direct = isManagerSocket(address)
            if !direct { _ = sd_bus_set_bus_client(bus, 1) }
            let r = sd_bus_start(bus)
            if r < 0 { sd_bus_unref(bus); throw error(r, "connect to \(address)") }
        } else if Host.effectiveUserID == 0 && FileSystem.exists(privateSocket) {
            try check(sd_bus_new(&bus), "create a D-Bus connection")
            try check(sd_bus_set_address(bus, "unix:path=" + privateSocket), "use \(privateSocket)")
            direct = true
            let r = sd_bus_start(bus)
            if r < 0 {
                sd_bus_unref(bus)
                bus = nil
                direct = false
                try check(sd_bus_open_system(&bus), "connect to the system bus")
            }
        } else {
            try check(sd_bus_open_system(&bus), "connect to the system bus")
        }
        guard let bus else { throw CNCError(.system, "failed to connect to systemd: no connection") }
        let jobs = JobBox()
        var slot: OpaquePointer?
        let match = "type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.systemd1.Manager',member='JobRemoved',path='/org/freedesktop/systemd1'"
        // Subscribed before any call, so no job can end unseen.
        let r = sd_bus_add_match(bus, &slot, match, { m, userdata, _ in
            guard let m, let userdata else { return 0 }
            let box = Unmanaged<JobBox>.fromOpaque(userdata).takeUnretainedValue()
            var id: UInt32 = 0
            var job: UnsafePointer<CChar>?, unit: UnsafePointer<CChar>?, result: UnsafePointer<CChar>?
            guard sd_bus_message_read_basic(m, CChar(UInt8(ascii: "u")), &id) >= 0,
                  sd_bus_message_read_basic(m, CChar(UInt8(ascii: "o")), &job) >= 0,
                  sd_bus_message_read_basic(m, CChar(UInt8(ascii: "s")), &unit) >= 0,
                  sd_bus_message_read_basic(m, CChar(UInt8(ascii: "s")), &result) >= 0,
                  let job, let unit, let result else { return 0 }
            box.results[String(cString: job)] = (String(cString: unit), String(cString: result))
            return 0
        }, Unmanaged.passUnretained(jobs).toOpaque())
        if r < 0 { sd_bus_flush_close_unref(bus); throw error(r, "subscribe to systemd's JobRemoved signal") }
        let conn = Connection(bus: bus, direct: direct, jobs: jobs, slot: slot)
        // Through a bus daemon systemd sends job signals only to subscribers.
        if !direct { _ = try call(conn, "Subscribe") { _ in } }
        return conn
    }

    /// Whether `address` is a systemd manager's own socket (root's /run/systemd/private, a user
    /// manager's $XDG_RUNTIME_DIR/systemd/private): a direct peer, spoken to without Hello.
    /// Anything else is a bus daemon (the system bus, a user's $XDG_RUNTIME_DIR/bus), which
    /// drops a connection that sends a message to another peer before Hello registers it.
    static func isManagerSocket(_ address: String) -> Bool {
        address.hasPrefix("unix:path=") && address.hasSuffix("/systemd/private")
    }

    // MARK: calls

    /// StartTransientUnit's arguments: unit, "fail", properties, no auxiliary units.
    static func appendStart(_ m: OpaquePointer, _ unit: String, _ properties: [SystemdProperty]) throws {
        try appendString(m, unit)
        try appendString(m, "fail")
        try appendProperties(m, properties)
        // No auxiliary units: a(sa(sv)), empty.
        try check(sd_bus_message_open_container(m, CChar(UInt8(ascii: "a")), "(sa(sv))"), "append auxiliary units")
        try check(sd_bus_message_close_container(m), "append auxiliary units")
    }

    /// A method of org.freedesktop.systemd1.Manager; `append` writes the arguments. Returns
    /// the reply's first object path or string, if it has one.
    @discardableResult
    static func call(_ c: Connection, _ method: String, _ append: (OpaquePointer) throws -> Void) throws -> String? {
        var m: OpaquePointer?
        try check(sd_bus_message_new_method_call(c.bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                 "org.freedesktop.systemd1.Manager", method), "build the \(method) call")
        guard let m else { throw CNCError(.internal, "sd-bus gave no message") }
        defer { sd_bus_message_unref(m) }
        try append(m)
        var err = sd_bus_error(name: nil, message: nil, _need_free: 0)
        defer { sd_bus_error_free(&err) }
        var reply: OpaquePointer?
        let r = sd_bus_call(c.bus, m, callTimeoutMicros, &err, &reply)
        defer { if let reply { sd_bus_message_unref(reply) } }
        if r < 0 { throw BusError(name: err.name.map { String(cString: $0) } ?? "", message: err.message.map { String(cString: $0) } ?? Self.strerror(r), method: method) }
        guard let reply else { return nil }
        var out: UnsafePointer<CChar>?
        let t = sd_bus_message_peek_type(reply, nil, nil)
        if t > 0 {
            var type: CChar = 0
            _ = sd_bus_message_peek_type(reply, &type, nil)
            if type == CChar(UInt8(ascii: "o")) || type == CChar(UInt8(ascii: "s")), sd_bus_message_read_basic(reply, type, &out) >= 0, let out {
                return String(cString: out)
            }
        }
        return nil
    }

    /// Waits until `job` ended (JobRemoved) and returns its result ("done", "failed", ...).
    static func waitForJob(_ c: Connection, _ job: String, unit: String, what: String) throws -> String {
        let deadline = Processes.monotonicNanos() + Int64(SystemdBus.jobTimeoutMicros) * 1000
        while true {
            if let r = c.jobs.results.removeValue(forKey: job) { return r.result }
            let p = sd_bus_process(c.bus, nil)
            if p < 0 { throw error(p, "wait for the \(what) job of unit \(unit)") }
            if p > 0 { continue }
            let left = deadline - Processes.monotonicNanos()
            if left <= 0 {
                throw CNCError(.timeout, "failed to \(what) unit \(unit): its job \(job) did not finish within \(SystemdBus.jobTimeoutMicros / 1_000_000) s")
            }
            let w = sd_bus_wait(c.bus, UInt64(left / 1000))
            if w < 0 && w != -4 /* EINTR */ { throw error(w, "wait for the \(what) job of unit \(unit)") }
        }
    }

    /// Appends `a(sv)`.
    static func appendProperties(_ m: OpaquePointer, _ props: [SystemdProperty]) throws {
        try check(sd_bus_message_open_container(m, CChar(UInt8(ascii: "a")), "(sv)"), "append properties")
        for p in props {
            try check(sd_bus_message_open_container(m, CChar(UInt8(ascii: "r")), "sv"), "append property \(p.name)")
            try appendString(m, p.name)
            try SystemdValueWriter.append(m, p.value, name: p.name)
            try check(sd_bus_message_close_container(m), "append property \(p.name)")
        }
        try check(sd_bus_message_close_container(m), "append properties")
    }

    static func appendString(_ m: OpaquePointer, _ s: String) throws {
        try check(s.withCString { sd_bus_message_append_basic(m, CChar(UInt8(ascii: "s")), $0) }, "append \"\(s)\"")
    }

    static func appendBool(_ m: OpaquePointer, _ b: Bool) throws {
        var v: Int32 = b ? 1 : 0
        try check(sd_bus_message_append_basic(m, CChar(UInt8(ascii: "b")), &v), "append a boolean")
    }

    static func check(_ r: Int32, _ what: String) throws {
        if r < 0 { throw error(r, what) }
    }

    static func error(_ r: Int32, _ what: String) -> CNCError {
        CNCError(.system, "failed to \(what): \(strerror(r))")
    }

    static func strerror(_ r: Int32) -> String { SystemError.describe(-r) }
}
