import CNCCore
import CNCSystem
import Foundation
import Glibc

/// A free TCP port on 127.0.0.1 (bind to 0, read it back, close).
public func freePort() throws -> Int {
    let r = try run("python3", ["-c", "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"])
    guard let port = Int(r.out.trimmingSpaces) else { throw CNCError(.internal, "no free port") }
    return port
}

/// Debian's docker-registry on a random 127.0.0.1 port with its own config and temp storage;
/// killed by pid when the test drops it.
public final class TestRegistry: @unchecked Sendable {
    public let dir: TempDir
    public let port: Int
    public let process: Process
    public var host: String { "127.0.0.1:\(port)" }
    public var storage: String { dir.path + "/data" }

    /// `htpasswd`: "user:secret" turns on basic auth.
    public init(htpasswd: (String, String)? = nil) throws {
        dir = try TempDir("cnc-registry")
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = try freePort()
            var auth = ""
            if let (user, pass) = htpasswd {
                let r = try run("python3", ["-W", "ignore", "-c", "import crypt,sys; print(sys.argv[1] + ':' + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH)))", user, pass])
                guard FileManager.default.createFile(atPath: dir.path + "/htpasswd", contents: Data(r.out.utf8)) else {
                    throw CNCError(.internal, "cannot write \(dir.path)/htpasswd")
                }
                auth = "auth: { htpasswd: { realm: cnc-test, path: \(dir.path)/htpasswd } }\n"
            }
            let config = """
            version: 0.1
            storage: { filesystem: { rootdirectory: \(dir.path)/data }, delete: { enabled: true } }
            http: { addr: 127.0.0.1:\(port) }
            log: { level: error }
            \(auth)
            """
            guard FileManager.default.createFile(atPath: dir.path + "/config.yml", contents: Data(config.utf8)) else {
                throw CNCError(.internal, "cannot write \(dir.path)/config.yml")
            }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
            p.arguments = ["serve", dir.path + "/config.yml"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try p.run()
            if Self.waitForPort(port) {
                self.port = port
                self.process = p
                return
            }
            p.terminate()
            p.waitUntilExit()
            lastError = CNCError(.timeout, "docker-registry did not listen on \(port)")
        }
        throw lastError ?? CNCError(.internal, "registry failed")
    }

    public static func waitForPort(_ port: Int) -> Bool {
        for _ in 0..<100 {
            if let r = try? run("python3", ["-c", "import socket,sys;socket.create_connection(('127.0.0.1',int(sys.argv[1])),0.2)", String(port)]),
               r.status == 0 { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    deinit {
        // SIGKILL: a graceful registry shutdown waits for idle keep-alive connections.
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
