import CNCRegistry
import Testing

/// The registry client's pure decisions (no registry needed).
@Suite struct RegistryClientTests {
    @Test func plainHTTPOnlyForLoopbackAndInsecureHosts() {
        #expect(RegistryClient.allowsPlainHTTP("127.0.0.1:5000", insecure: []))
        #expect(RegistryClient.allowsPlainHTTP("localhost:5000", insecure: []))
        #expect(RegistryClient.allowsPlainHTTP("[::1]:5000", insecure: []))
        #expect(!RegistryClient.allowsPlainHTTP("registry.example.com", insecure: []))
        #expect(RegistryClient.allowsPlainHTTP("registry.example.com:5000", insecure: ["registry.example.com:5000"]))
        #expect(!RegistryClient.allowsPlainHTTP("127.example.com", insecure: []))
        #expect(!RegistryClient.allowsPlainHTTP("127.0.0.1.evil.com:80", insecure: []))
    }

    @Test(arguments: [
        ("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"",
         "Bearer", ["realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/busybox:pull"]),
        ("Basic realm=\"cnc\"", "Basic", ["realm": "cnc"]),
    ])
    func parsesChallenges(header: String, scheme: String, params: [String: String]) {
        let (s, p) = RegistryClient.parseChallenge(header)
        #expect(s == scheme && p == params)
    }
}
