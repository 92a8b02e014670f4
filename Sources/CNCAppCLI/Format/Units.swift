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

    static func custom(_ size: Double, base: Double, units: [String], precision: Int) -> String {
        var v = size
        var i = 0
        while v >= base && i < units.count - 1 { v /= base; i += 1 }
        return String(format: "%.\(precision)g", v) + units[i]
    }
}
