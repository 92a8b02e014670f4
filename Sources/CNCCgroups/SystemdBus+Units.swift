import CNCCore
import CNCSystem

/// The manager calls the cgroup driver makes, each waiting for its job as runc, crun and youki
/// do: JobRemoved subscribed before the call, a bounded wait, an error naming the unit and the
/// job's result, and no failed unit left behind.
extension SystemdBus {
    /// A StartTransientUnit sent whose reply and job are not waited for yet (see finish).
    public struct PendingStart: Sendable {
        public let unit: String
        let properties: [SystemdProperty]
        let serial: UInt32
    }

    /// StartTransientUnit(unit, "fail", properties) and waits for the start job. A unit of that
    /// name still loaded (a crashed run's, or a failed one) is reset and stopped, then the start
    /// is tried once more.
    public func startTransientUnit(_ unit: String, properties: [SystemdProperty]) throws {
        try finish(try beginTransientUnit(unit, properties: properties))
    }

    /// Sends StartTransientUnit and returns at once: systemd makes the unit while the caller
    /// goes on (a container start clones and sets up init meanwhile); `finish` waits.
    public func beginTransientUnit(_ unit: String, properties: [SystemdProperty]) throws -> PendingStart {
        try with { c in
            Trace.mark("systemd: StartTransientUnit")
            return PendingStart(unit: unit, properties: properties, serial: try Self.sendStart(c, unit, properties))
        }
    }

    /// Waits for the reply to `pending` and for its job, as startTransientUnit describes.
    public func finish(_ pending: PendingStart) throws {
        let unit = pending.unit
        try with { c in
            do {
                do { try Self.awaitStart(c, unit, serial: pending.serial) } catch let e as BusError where e.isUnitExists {
                    _ = try? Self.call(c, "ResetFailedUnit", strings: [unit])
                    _ = try? Self.stop(c, unit)
                    try Self.awaitStart(c, unit, serial: try Self.sendStart(c, unit, pending.properties))
                }
            } catch let e as BusError {
                throw CNCError(.system, "failed to start unit \(unit): \(e)")
            }
        }
    }

    static func sendStart(_ c: Connection, _ unit: String, _ properties: [SystemdProperty]) throws -> UInt32 {
        try send(c, "StartTransientUnit", signature: "ssa(sv)a(sa(sv))", strings: [unit, "fail"]) { w in
            appendProperties(&w, properties)
            // No auxiliary units: a(sa(sv)), empty.
            w.array(elementAlignment: 8) { _ in }
        }
    }

    static func awaitStart(_ c: Connection, _ unit: String, serial: UInt32) throws {
        let reply = try c.dbus.reply(to: serial, method: "StartTransientUnit", deadline: Processes.monotonicNanos() + callTimeoutNanos)
        guard let job = firstString(reply) else { throw CNCError(.system, "failed to start unit \(unit): systemd returned no job") }
        Trace.mark("systemd: start job queued")
        let result = try waitForJob(c, job, unit: unit, what: "start")
        guard result == "done" else {
            _ = try? call(c, "ResetFailedUnit", strings: [unit])
            throw CNCError(.system, "failed to start unit \(unit): its start job ended with result \"\(result)\"")
        }
    }

    /// StopUnit(unit, "replace") and waits; false when no such unit is loaded. A unit that
    /// ended failed is reset, so it does not stay listed.
    @discardableResult
    public func stopUnit(_ unit: String) throws -> Bool {
        try with { c in try Self.stop(c, unit) }
    }

    static func stop(_ c: Connection, _ unit: String) throws -> Bool {
        let job: String?
        do {
            job = try call(c, "StopUnit", strings: [unit, "replace"])
        } catch let e as BusError where e.isNoSuchUnit {
            return false
        }
        guard let job else { return true }
        let result = try waitForJob(c, job, unit: unit, what: "stop")
        _ = try? call(c, "ResetFailedUnit", strings: [unit])
        guard result == "done" else {
            throw CNCError(.system, "failed to stop unit \(unit): its stop job ended with result \"\(result)\"")
        }
        return true
    }

    /// SetUnitProperties(unit, runtime, properties): `runtime` changes last until the unit goes
    /// (transient scopes have nothing else to persist).
    public func setUnitProperties(_ unit: String, runtime: Bool = true, properties: [SystemdProperty]) throws {
        guard !properties.isEmpty else { return }
        _ = try with { c in
            try Self.call(c, "SetUnitProperties", signature: "sba(sv)", strings: [unit]) { w in
                w.bool(runtime)
                Self.appendProperties(&w, properties)
            }
        }
    }

    /// True when systemd has the unit loaded (GetUnit answers).
    public func isLoaded(_ unit: String) throws -> Bool {
        try with { c in
            do {
                try Self.call(c, "GetUnit", strings: [unit])
                return true
            } catch let e as BusError where e.isNoSuchUnit {
                return false
            }
        }
    }

    /// nil when systemd's manager answers on this connection, else what went wrong.
    public func problem() -> String? {
        do {
            _ = try with { c in try Self.call(c, "GetUnit", strings: ["init.scope"]) }
            return nil
        } catch let e as BusError {
            return e.description
        } catch {
            return "\(error)"
        }
    }
}
