import Foundation
import Testing

/// What each executable loads at every start (ARCHITECTURE.md, "Executables and their link"):
/// the HTTP client's stack (FoundationNetworking, libcurl and its ~40 libraries, several ms of
/// loader work) belongs to `cnc-registry` alone. A build's `ADD URL` once pulled it into
/// cncapply and cnc-cli (every no-op apply paid for it); it now runs `cnc-registry fetch-url`.
@Suite struct ExecutableLinkTests {
    static func loaded(_ executable: String) throws -> [String] {
        let r = try CLI.exec("/usr/bin/ldd", [CLI.binDir + "/" + executable])
        #expect(r.status == 0, "ldd \(executable): \(r.stderr)")
        return r.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CLI.binDir + "/cncapply")
                   && FileManager.default.isExecutableFile(atPath: "/usr/bin/ldd"), "needs the built binaries"))
    func onlyTheRegistryExecutableLoadsTheHTTPStack() throws {
        for exe in ["cncapply", "cnc-cli"] {
            let heavy = try Self.loaded(exe).filter { $0.contains("libcurl") || $0.contains("libFoundationNetworking") }
            #expect(heavy.isEmpty, "\(exe) loads \(heavy)")
        }
        // The check can fail: the registry executable does load it.
        #expect(try Self.loaded("cnc-registry").contains { $0.contains("libcurl") })
    }

    /// `cnc-registry fetch-url`: a failure is its message alone on stderr and status 1, which
    /// the builder's `ADD URL` reports as its own (BuildAddURLTests covers the fetch itself).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CLI.binDir + "/cnc-registry"), "needs the built binaries"))
    func fetchURLFailureIsItsMessageAlone() throws {
        let bad = try CLI.run("cnc-registry", ["fetch-url", "not a url"])
        #expect(bad.status == 1)
        #expect(bad.stderr == "invalid URL not a url\n", "\(bad.stderr)")
        #expect(bad.stdout.isEmpty)
    }
}
