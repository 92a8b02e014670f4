/// The version of cnc, printed by `cnc version`.
public enum CNCVersion {
    public static let current = "0.1.0-dev"
    /// The OCI runtime-spec version cnc writes in config.json.
    public static let ociRuntimeSpec = "1.2.0"
}
