import CNCCore
import CNCSystem
import Foundation

/// The ports a rootless container's pasta forwards, as pasta was told (`-p 80` with the host
/// port cnc chose for it): written in the container's directory when pasta starts, removed
/// when it stops. `cnc ps`, `cnc port` and `inspect` read it (root mode's are the bridge
/// attachment's ports).
public enum PublishedPortsRecord {
    public static let fileName = "pasta.ports"

    public static func write(_ ports: [PublishedPort], directory: String) throws {
        let bytes: [UInt8]
        do { bytes = Array(try JSONEncoder().encode(ports)) } catch {
            throw CNCError.failed("encode", "published ports", cause: error)
        }
        try FileSystem.writeReplacing(bytes, to: directory + "/" + fileName, mode: 0o600)
    }

    /// The recorded ports, or nil when none are recorded (pasta not running).
    public static func read(directory: String) -> [PublishedPort]? {
        guard let bytes = try? FileSystem.readBytes(directory + "/" + fileName) else { return nil }
        return try? JSONDecoder().decode([PublishedPort].self, from: Data(bytes))
    }

    public static func remove(directory: String) {
        try? FileSystem.remove(directory + "/" + fileName)
    }
}
