import CNCCore
import CNCSystem

/// A client of systemd's manager (org.freedesktop.systemd1) for the cgroup driver. Two
/// implement it: SystemdBus, cnc's own D-Bus wire client (the static `cnc` front's run/create/
/// update fast path, which cannot load a shared library), and CNCSystemd's SDBusClient over
/// libsystemd's sd-bus (cnc-cli and cncapply). Both encode the same SystemdProperty values;
/// what the driver does with the calls (below) is written once.
public protocol SystemdManagerClient: Sendable {
    /// Runs `body` with the connection (opened on first use) held for this thread alone.
    func withSession<T>(_ body: (any SystemdManagerSession) throws -> T) throws -> T
}

/// The manager's methods on one open connection, each as it goes on the wire.
public protocol SystemdManagerSession {
    /// Sends StartTransientUnit(unit, "fail", properties, no auxiliary units): a token for
    /// `startReply`. A client may make the call here and keep its outcome for startReply.
    func sendStart(_ unit: String, _ properties: [SystemdProperty]) throws -> UInt64
    /// The start's job object path (nil: none), or its D-Bus error (BusError).
    func startReply(_ token: UInt64) throws -> String?
    /// A method taking strings only; the reply's first object path or string, if any.
    @discardableResult
    func call(_ method: String, strings: [String]) throws -> String?
    /// SetUnitProperties(unit, runtime, properties).
    func setUnitProperties(_ unit: String, runtime: Bool, _ properties: [SystemdProperty]) throws
    /// Waits until `job` ended (JobRemoved, subscribed before any call) and returns its result
    /// ("done", "failed", ...); a bounded wait (SystemdBus.jobTimeoutMicros).
    func waitForJob(_ job: String, unit: String, what: String) throws -> String
}

/// A StartTransientUnit sent whose reply and job are not waited for yet (see finish).
public struct PendingStart: Sendable {
    public let unit: String
    let properties: [SystemdProperty]
    let token: UInt64
}

/// The manager calls the cgroup driver makes, each waiting for its job as runc, crun and youki
/// do: JobRemoved subscribed before the call, a bounded wait, an error naming the unit and the
/// job's result, and no failed unit left behind.
extension SystemdManagerClient {
    /// Connects now (the front checks systemd answers before it creates anything).
    public func connect() throws { try withSession { _ in } }

    /// StartTransientUnit(unit, "fail", properties) and waits for the start job. A unit of that
    /// name still loaded (a crashed run's, or a failed one) is reset and stopped, then the start
    /// is tried once more.
    public func startTransientUnit(_ unit: String, properties: [SystemdProperty]) throws {
        try finish(try beginTransientUnit(unit, properties: properties))
    }

    /// Sends StartTransientUnit and returns at once: systemd makes the unit while the caller
    /// goes on (a container start clones and sets up init meanwhile); `finish` waits.
    public func beginTransientUnit(_ unit: String, properties: [SystemdProperty]) throws -> PendingStart {
        try withSession { c in
            Trace.mark("systemd: StartTransientUnit")
            return PendingStart(unit: unit, properties: properties, token: try c.sendStart(unit, properties))
        }
    }

    /// Waits for the reply to `pending` and for its job, as startTransientUnit describes.
    public func finish(_ pending: PendingStart) throws {
        let unit = pending.unit
        try withSession { c in
            do {
                do { try Self.awaitStart(c, unit, token: pending.token) } catch let e as BusError where e.isUnitExists {
                    _ = try? c.call("ResetFailedUnit", strings: [unit])
                    _ = try? Self.stop(c, unit)
                    try Self.awaitStart(c, unit, token: try c.sendStart(unit, pending.properties))
                }
            } catch let e as BusError {
                throw CNCError(.system, "failed to start unit \(unit): \(e)")
            }
        }
    }

    static func awaitStart(_ c: any SystemdManagerSession, _ unit: String, token: UInt64) throws {
        guard let job = try c.startReply(token) else { throw CNCError(.system, "failed to start unit \(unit): systemd returned no job") }
        Trace.mark("systemd: start job queued")
        let result = try c.waitForJob(job, unit: unit, what: "start")
        guard result == "done" else {
            _ = try? c.call("ResetFailedUnit", strings: [unit])
            throw CNCError(.system, "failed to start unit \(unit): its start job ended with result \"\(result)\"")
        }
    }

    /// StopUnit(unit, "replace") and waits; false when no such unit is loaded. A unit that
    /// ended failed is reset, so it does not stay listed.
    @discardableResult
    public func stopUnit(_ unit: String) throws -> Bool {
        try withSession { c in try Self.stop(c, unit) }
    }

    static func stop(_ c: any SystemdManagerSession, _ unit: String) throws -> Bool {
        let job: String?
        do {
            job = try c.call("StopUnit", strings: [unit, "replace"])
        } catch let e as BusError where e.isNoSuchUnit {
            return false
        }
        guard let job else { return true }
        let result = try c.waitForJob(job, unit: unit, what: "stop")
        _ = try? c.call("ResetFailedUnit", strings: [unit])
        guard result == "done" else {
            throw CNCError(.system, "failed to stop unit \(unit): its stop job ended with result \"\(result)\"")
        }
        return true
    }

    /// SetUnitProperties(unit, runtime, properties): `runtime` changes last until the unit goes
    /// (transient scopes have nothing else to persist).
    public func setUnitProperties(_ unit: String, runtime: Bool = true, properties: [SystemdProperty]) throws {
        guard !properties.isEmpty else { return }
        try withSession { c in try c.setUnitProperties(unit, runtime: runtime, properties) }
    }

    /// True when systemd has the unit loaded (GetUnit answers).
    public func isLoaded(_ unit: String) throws -> Bool {
        try withSession { c in
            do {
                try c.call("GetUnit", strings: [unit])
                return true
            } catch let e as BusError where e.isNoSuchUnit {
                return false
            }
        }
    }

    /// nil when systemd's manager answers on this connection, else what went wrong.
    public func problem() -> String? {
        do {
            _ = try withSession { c in try c.call("GetUnit", strings: ["init.scope"]) }
            return nil
        } catch let e as BusError {
            return e.description
        } catch {
            return "\(error)"
        }
    }
}
