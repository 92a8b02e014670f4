import Foundation

/// Sizes as docker's CLI prints them (github.com/docker/go-units).
public enum Units {
    /// HumanSizeWithPrecision: decimal units, `precision` significant digits ("16.43MB", "212B",
    /// "1.2kB"). `docker system df` uses 4 digits, `docker stats`' I/O columns 3.
    public static func humanSize(_ bytes: Int64, precision: Int = 4) -> String {
        custom(Double(bytes), base: 1000, units: ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"], precision: precision)
    }

    /// BytesSize: binary units, 4 significant digits ("1.234MiB", "7.667GiB"), as in `docker
    /// stats`' memory column.
    public static func bytesSize(_ bytes: Int64) -> String {
        custom(Double(bytes), base: 1024, units: ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"], precision: 4)
    }

    /// HumanDuration: how docker's CLI says how long ago or for how long ("Less than a second",
    /// "1 second", "About a minute", "About an hour", "2 hours" from 90 minutes on, "3 days",
    /// "2 weeks", "5 months", "2 years"); `ps` CREATED and STATUS, `images` CREATED add " ago".
    /// Hours are rounded, the larger units built on whole hours, as go-units does.
    public static func humanDuration(seconds: Double) -> String {
        let secs = Int(max(0, seconds))
        func plural(_ n: Int, _ unit: String) -> String { "\(n) \(unit)\(n == 1 ? "" : "s")" }
        if secs < 1 { return "Less than a second" }
        if secs < 60 { return plural(secs, "second") }
        let minutes = secs / 60
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = Int((max(0, seconds) / 3600).rounded(.toNearestOrAwayFromZero))
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(secs / 3600 / 24 / 365) years"
    }

    static func custom(_ size: Double, base: Double, units: [String], precision: Int) -> String {
        var v = size
        var i = 0
        while v >= base && i < units.count - 1 { v /= base; i += 1 }
        return String(format: "%.\(precision)g", v) + units[i]
    }
}
