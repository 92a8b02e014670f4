/// `cnc attach`'s conversation with a container's monitor over `<container dir>/attach`, a
/// SOCK_SEQPACKET socket (conmon's attach socket): every message is one tag byte and a body.
public enum AttachProtocol {
    public static let socketName = "attach"

    /// Monitor -> client.
    public static let stdout: UInt8 = 1
    public static let stderr: UInt8 = 2
    /// The container's main process exited; the body is its exit code in decimal. The monitor
    /// closes the connection after it.
    public static let exit: UInt8 = 3

    /// Client -> monitor.
    /// Input for the container (its terminal, or its stdin pipe when created with -i).
    public static let stdin: UInt8 = 0
    /// The client's terminal size: the body is "ROWS COLS".
    public static let resize: UInt8 = 4

    /// The largest message either side sends.
    public static let maxMessage = 32769
}
