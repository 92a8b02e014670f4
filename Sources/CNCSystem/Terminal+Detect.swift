import Glibc

/// Facts about the process's terminals.
public enum TerminalInfo {
    /// True when `fd` is a terminal (isatty).
    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Columns of the terminal on `fd`, if it is one.
    public static func columns(_ fd: Int32) -> Int? {
        var ws = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 else { return nil }
        return Int(ws.ws_col)
    }

    /// Writes text to fd 1 unbuffered and whole.
    public static func writeStdout(_ text: String) { writeUnbuffered(1, text) }
    /// Writes text to fd 2 unbuffered and whole.
    public static func writeStderr(_ text: String) { writeUnbuffered(2, text) }
}
