import Foundation

/// A static sd_notify for containers (busybox has none): sends its arguments, one line each,
/// to $NOTIFY_SOCKET. Compiled by the tests that need it.
public enum SdNotifyHelper {
    public static let hasToolchain = FileManager.default.isExecutableFile(atPath: "/usr/bin/gcc")
        && FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/libc.a")

    static let source = """
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <sys/socket.h>
    #include <sys/un.h>
    int main(int argc, char **argv) {
        const char *path = getenv("NOTIFY_SOCKET");
        if (!path) { fprintf(stderr, "no NOTIFY_SOCKET\\n"); return 2; }
        char msg[4096] = "";
        for (int i = 1; i < argc; i++) { strncat(msg, argv[i], sizeof msg - strlen(msg) - 2); strcat(msg, "\\n"); }
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
        int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("sendto"); return 1; }
        return 0;
    }
    """

    /// Builds the helper at `binary` (static), its source written in `scratch`.
    public static func compile(to binary: String, scratch: String) throws -> (status: Int32, out: String, err: String) {
        try source.write(toFile: scratch + "/notify.c", atomically: true, encoding: .utf8)
        return try run("/usr/bin/gcc", ["-static", "-O2", "-o", binary, scratch + "/notify.c"])
    }
}
