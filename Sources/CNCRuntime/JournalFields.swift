import CNCCore

/// The fields docker's journald driver puts on every entry of a container, and the tag.
public enum JournalFields {
    /// CONTAINER_ID (12 characters), CONTAINER_ID_FULL, CONTAINER_NAME, CONTAINER_TAG,
    /// IMAGE_NAME and SYSLOG_IDENTIFIER (the tag), in that order.
    public static func fields(_ c: ContainerConfig) -> [(String, String)] {
        let tag = self.tag(c)
        return [("CONTAINER_ID", c.id.short), ("CONTAINER_ID_FULL", c.id.rawValue), ("CONTAINER_NAME", c.name),
                ("CONTAINER_TAG", tag), ("IMAGE_NAME", c.image), ("SYSLOG_IDENTIFIER", tag)]
    }

    /// `--log-opt tag=` with docker's markers replaced; `{{.ID}}` when none was given.
    public static func tag(_ c: ContainerConfig) -> String {
        let imageID = c.imageID ?? ""
        let bareImageID = imageID.hasPrefix("sha256:") ? String(imageID.dropFirst(7)) : imageID
        var out = c.log.tag ?? "{{.ID}}"
        for (marker, value) in [("{{.ID}}", c.id.short), ("{{.FullID}}", c.id.rawValue), ("{{.Name}}", c.name),
                                ("{{.ImageName}}", c.image), ("{{.ImageID}}", String(bareImageID.prefix(12))),
                                ("{{.ImageFullID}}", imageID), ("{{.DaemonName}}", "cnc")] {
            out = out.replacingOccurrences(of: marker, with: value)
        }
        return out
    }
}
