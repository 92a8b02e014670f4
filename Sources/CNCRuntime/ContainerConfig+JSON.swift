import CNCCgroups
import CNCCore

// cnc.json and state.json written without Codable on the container start path (Codable's first
// use in a process costs ~0.3 ms per type). Reading stays Codable: these encodings decode to
// equal values, which the tests check with every field set.

extension ContainerConfig {
    /// cnc.json's content; nil when a value does not fit a JSON integer of this encoder (a
    /// ulimit of 2^63 or more: the caller then uses JSONEncoder).
    public var jsonValue: JSONValue? {
        guard ulimits.allSatisfy({ $0.soft <= UInt64(Int64.max) && $0.hard <= UInt64(Int64.max) }) else { return nil }
        var o = JSONObject()
        o.set("id", id.rawValue)
        o.set("name", name)
        o.set("image", image)
        o.set("imageID", imageID)
        o.set("lowerDirs", lowerDirs)
        o.set("entrypoint", entrypoint)
        o.set("cmd", cmd)
        o.set("env", env)
        o.set("workingDir", workingDir)
        o.set("user", user)
        o.set("hostname", hostname)
        o.set("tty", tty)
        o.set("openStdin", openStdin)
        o.set("readOnly", readOnly)
        o.set("initProcess", initProcess)
        o.set("autoRemove", autoRemove)
        o.set("volatileUpper", volatileUpper)
        o.set("mounts", mounts.map(\.jsonValue))
        o.set("capAdd", capAdd)
        o.set("capDrop", capDrop)
        o.set("securityOpt", securityOpt)
        o.set("limits", limits.jsonValue)
        o.set("cgroupParent", cgroupParent)
        o.set("restartPolicy", restartPolicy.description)
        o.set("stopSignal", stopSignal)
        o.set("stopTimeout", stopTimeout)
        o.set("healthcheck", healthcheck.map { h -> JSONValue in
            var j = JSONObject()
            j.set("test", h.test)
            j.set("interval", h.interval)
            j.set("timeout", h.timeout)
            j.set("startPeriod", h.startPeriod)
            j.set("retries", h.retries)
            return j.value
        })
        o.set("labels", labels)
        o.set("network", network.description)
        var log = JSONObject()
        log.set("maxSize", self.log.maxSize)
        log.set("maxFile", self.log.maxFile)
        log.set("driver", self.log.driver?.rawValue)
        log.set("tag", self.log.tag)
        o.set("log", log.value)
        o.set("sdNotify", sdNotify?.rawValue)
        o.set("ulimits", ulimits.map { u -> JSONValue in
            var j = JSONObject()
            j.set("name", u.name)
            j.set("soft", Int64(u.soft))
            j.set("hard", Int64(u.hard))
            return j.value
        })
        o.set("dns", dns)
        o.set("extraHosts", extraHosts)
        o.set("publish", publish.map { ports in
            ports.map { p -> JSONValue in
                var j = JSONObject()
                j.set("hostIP", p.hostIP?.description)
                j.set("hostPort", p.hostPort)
                j.set("containerPort", p.containerPort)
                j.set("proto", p.proto.rawValue)
                return j.value
            }
        })
        o.set("ipv4Address", ipv4Address)
        o.set("networkAliases", networkAliases)
        o.set("dnsSearch", dnsSearch)
        o.set("dnsOptions", dnsOptions)
        o.set("additionalNetworks", additionalNetworks.map { nets in
            nets.map { n -> JSONValue in
                var j = JSONObject()
                j.set("name", n.name)
                j.set("aliases", n.aliases)
                j.set("ipv4Address", n.ipv4Address)
                return j.value
            }
        })
        o.set("sysctls", sysctls)
        o.set("oomScoreAdj", oomScoreAdj)
        o.set("devices", devices.map { ds in
            ds.map { d -> JSONValue in
                var j = JSONObject()
                j.set("hostPath", d.hostPath)
                j.set("containerPath", d.containerPath)
                j.set("permissions", d.permissions)
                j.set("type", d.type)
                j.set("major", d.major)
                j.set("minor", d.minor)
                j.set("fileMode", d.fileMode)
                j.set("uid", d.uid)
                j.set("gid", d.gid)
                return j.value
            }
        })
        o.set("shmSize", shmSize)
        o.set("cgroupns", cgroupns?.rawValue)
        o.set("privileged", privileged)
        o.set("pidMode", pidMode?.rawValue)
        o.set("ipcMode", ipcMode?.rawValue)
        o.set("utsMode", utsMode?.rawValue)
        o.set("groupAdd", groupAdd)
        o.set("sealedEnv", sealedEnv)
        o.set("usernsMode", usernsMode)
        o.set("uidMap", uidMap.map { $0.map(\.jsonValue) })
        o.set("gidMap", gidMap.map { $0.map(\.jsonValue) })
        o.set("created", created)
        return o.value
    }
}

extension IDMap {
    var jsonValue: JSONValue {
        var o = JSONObject()
        o.set("containerID", Int64(containerID))
        o.set("hostID", Int64(hostID))
        o.set("size", Int64(size))
        return o.value
    }
}

extension MountSpec {
    var jsonValue: JSONValue {
        var o = JSONObject()
        o.set("type", type.rawValue)
        o.set("source", source)
        o.set("target", target)
        o.set("readOnly", readOnly)
        o.set("options", options)
        o.set("anonymous", anonymous)
        return o.value
    }
}

extension CgroupLimits {
    var jsonValue: JSONValue {
        var o = JSONObject()
        o.set("cpuQuota", cpuQuota)
        o.set("cpuPeriod", cpuPeriod)
        o.set("cpuShares", cpuShares)
        o.set("cpusetCpus", cpusetCpus)
        o.set("cpusetMems", cpusetMems)
        o.set("memory", memory)
        o.set("memoryReservation", memoryReservation)
        o.set("memoryHigh", memoryHigh)
        o.set("memorySwap", memorySwap)
        o.set("pids", pids)
        o.set("oomKillDisable", oomKillDisable)
        o.set("blkioWeight", blkioWeight)
        o.set("blkioThrottles", blkioThrottles.map { ts in
            ts.map { t -> JSONValue in
                var j = JSONObject()
                j.set("kind", t.kind.rawValue)
                j.set("major", t.major)
                j.set("minor", t.minor)
                j.set("rate", t.rate)
                return j.value
            }
        })
        o.set("deviceRules", deviceRules.map { rs in
            rs.map { r -> JSONValue in
                var j = JSONObject()
                j.set("allow", r.allow)
                j.set("type", r.type)
                j.set("major", r.major)
                j.set("minor", r.minor)
                j.set("access", r.access)
                return j.value
            }
        })
        return o.value
    }
}

extension ContainerState {
    /// state.json's content (the monitor writes the same keys).
    public var jsonValue: JSONValue {
        var o = JSONObject()
        o.set("Status", status.rawValue)
        o.set("Running", running)
        o.set("Paused", paused)
        o.set("Restarting", restarting)
        o.set("OOMKilled", oomKilled)
        o.set("Dead", dead)
        o.set("Pid", pid)
        o.set("ExitCode", exitCode)
        o.set("Signal", signal)
        o.set("Error", error)
        o.set("StartedAt", startedAt)
        o.set("FinishedAt", finishedAt)
        o.set("RestartCount", restartCount)
        o.set("MonitorPid", monitorPid)
        o.set("MonitorStart", monitorStart)
        o.set("Health", health.map { h -> JSONValue in
            var j = JSONObject()
            j.set("Status", h.status)
            j.set("FailingStreak", h.failingStreak)
            j.set("Log", h.log.map { l -> JSONValue in
                var e = JSONObject()
                e.set("Start", l.start)
                e.set("End", l.end)
                e.set("ExitCode", l.exitCode)
                e.set("Output", l.output)
                return e.value
            })
            return j.value
        })
        return o.value
    }
}
