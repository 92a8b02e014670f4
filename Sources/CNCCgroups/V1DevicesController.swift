import CNCCore
import CNCSystem

/// devices.deny "a", then devices.allow for each default and extra rule.
struct V1DevicesController: V1Controller {
    let name = "devices"
    func apply(_ l: CgroupLimits, dir: String, initial: Bool) throws {
        guard initial || l.deviceRules != nil else { return }
        try FileSystem.writeValue("a", to: dir + "/devices.deny")
        for rule in DeviceRule.defaults + (l.deviceRules ?? []) {
            try FileSystem.writeValue(rule.description, to: dir + (rule.allow ? "/devices.allow" : "/devices.deny"))
        }
    }
}
