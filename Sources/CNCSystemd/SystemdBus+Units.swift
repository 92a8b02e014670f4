import CNCCgroups
import CNCCore
import CNCSystem
import CSystemd

/// The manager calls the cgroup driver makes, each waiting for its job as runc, crun and youki
/// do: JobRemoved subscribed before the call, a bounded wait, an error naming the unit and the
/// job's result, and no failed unit left behind.
extension SystemdBus {
    /// StartTransientUnit(unit, "fail", properties) and waits for the start job. A unit of that
    /// name still loaded (a crashed run's, or a failed one) is reset and stopped, then the start
    /// is tried once more.
    public func startTransientUnit(_ unit: String, properties: [SystemdProperty]) throws {
        try with { c in
            do {
                do { try Self.startOnce(c, unit, properties) } catch let e as BusError where e.isUnitExists {
                    _ = try? Self.call(c, "ResetFailedUnit") { try Self.appendString($0, unit) }
                    _ = try? Self.stop(c, unit)
                    try Self.startOnce(c, unit, properties)
                }
            } catch let e as BusError {
                throw CNCError(.system, "failed to start unit \(unit): \(e)")
            }
        }
    }

    static func startOnce(_ c: Connection, _ unit: String, _ properties: [SystemdProperty]) throws {
        Trace.mark("systemd: StartTransientUnit")
        let job = try call(c, "StartTransientUnit") { m in
            try appendString(m, unit)
            try appendString(m, "fail")
            try appendProperties(m, properties)
            // No auxiliary units: a(sa(sv)), empty.
            try check(sd_bus_message_open_container(m, CChar(UInt8(ascii: "a")), "(sa(sv))"), "append auxiliary units")
            try check(sd_bus_message_close_container(m), "append auxiliary units")
        }
        guard let job else { throw CNCError(.system, "failed to start unit \(unit): systemd returned no job") }
        Trace.mark("systemd: start job queued")
        let result = try waitForJob(c, job, unit: unit, what: "start")
        guard result == "done" else {
            _ = try? call(c, "ResetFailedUnit") { try appendString($0, unit) }
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
            job = try call(c, "StopUnit") { m in
                try appendString(m, unit)
                try appendString(m, "replace")
            }
        } catch let e as BusError where e.isNoSuchUnit {
            return false
        }
        guard let job else { return true }
        let result = try waitForJob(c, job, unit: unit, what: "stop")
        _ = try? call(c, "ResetFailedUnit") { try appendString($0, unit) }
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
            try Self.call(c, "SetUnitProperties") { m in
                try Self.appendString(m, unit)
                try Self.appendBool(m, runtime)
                try Self.appendProperties(m, properties)
            }
        }
    }

    /// True when systemd has the unit loaded (GetUnit answers).
    public func isLoaded(_ unit: String) throws -> Bool {
        try with { c in
            do {
                try Self.call(c, "GetUnit") { try Self.appendString($0, unit) }
                return true
            } catch let e as BusError where e.isNoSuchUnit {
                return false
            }
        }
    }

    /// nil when systemd's manager answers on this connection, else what went wrong.
    public func problem() -> String? {
        do {
            _ = try with { c in try Self.call(c, "GetUnit") { try Self.appendString($0, "init.scope") } }
            return nil
        } catch let e as BusError {
            return e.description
        } catch {
            return "\(error)"
        }
    }
}
