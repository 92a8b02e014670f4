import CNCCore
import Testing

@Suite struct ImageReferenceTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    @Test(arguments: [
        ("busybox", "docker.io", "library/busybox", "latest", nil),
        ("busybox:1.36", "docker.io", "library/busybox", "1.36", nil),
        ("library/busybox", "docker.io", "library/busybox", "latest", nil),
        ("docker.io/busybox", "docker.io", "library/busybox", "latest", nil),
        ("index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", nil),
        ("me/app:v2", "docker.io", "me/app", "v2", nil),
        ("localhost/app", "localhost", "app", "latest", nil),
        ("localhost:5000/team/app:1.0", "localhost:5000", "team/app", "1.0", nil),
        ("127.0.0.1:5055/app", "127.0.0.1:5055", "app", "latest", nil),
        ("registry.example.com/a/b/c:tag_1", "registry.example.com", "a/b/c", "tag_1", nil),
        ("ghcr.io/o-r/re__po.x", "ghcr.io", "o-r/re__po.x", "latest", nil),
        ("[::1]:5000/app:x", "[::1]:5000", "app", "x", nil),
        ("app@" + digest, "docker.io", "library/app", nil, digest),
        ("localhost:5000/app:v1@" + digest, "localhost:5000", "app", "v1", digest),
    ] as [(String, String, String, String?, String?)])
    func parsesAndNormalizes(_ input: String, _ domain: String, _ path: String, _ tag: String?, _ digest: String?) throws {
        let ref = try ImageReference(parsing: input)
        #expect(ref.domain == domain)
        #expect(ref.path == path)
        #expect(ref.tag == tag)
        #expect(ref.digest?.description == digest)
    }

    @Test(arguments: [
        ("", "empty reference"),
        ("Busybox", "repository name must be lowercase"),
        ("busybox:", "tag \"\" must match"),
        ("busybox:-x", "tag \"-x\" must match"),
        ("a//b", "path component \"\" must be"),
        ("app:" + String(repeating: "t", count: 129), "must match"),
        ("app@sha256:xyz", "bad digest"),
        ("app@md5:" + String(repeating: "a", count: 32), "unsupported algorithm"),
        ("-app", "path component \"-app\" must be"),
        ("app_", "path component \"app_\" must be"),
        ("app___x", "path component \"app___x\" must be"),
        ("localhost:port/app", "invalid registry host"),
        (String(repeating: "ab", count: 32), "64-byte hexadecimal"),
        ("host.com/" + String(repeating: "a", count: 250), "not be more than 255"),
    ])
    func rejectsInvalid(_ input: String, _ fragment: String) {
        #expect {
            try ImageReference(parsing: input)
        } throws: { error in
            let text = (error as? CNCError)?.description ?? ""
            return text.hasPrefix("invalid reference format \"\(input)\": ") && text.contains(fragment)
        }
    }

    @Test(arguments: [
        ("busybox", "busybox:latest", "docker.io/library/busybox:latest"),
        ("me/app:1", "me/app:1", "docker.io/me/app:1"),
        ("localhost:5000/app:1", "localhost:5000/app:1", "localhost:5000/app:1"),
    ])
    func familiarAndFullForms(_ input: String, _ familiar: String, _ full: String) throws {
        let ref = try ImageReference(parsing: input)
        #expect(ref.familiar == familiar)
        #expect(ref.description == full)
        #expect(try ImageReference(parsing: ref.description) == ref)
    }

    @Test func retag() throws {
        let ref = try ImageReference(parsing: "app@" + Self.digest).withTag("v3")
        #expect(ref.description == "docker.io/library/app:v3")
        #expect(throws: CNCError.self) { try ref.withTag("bad tag") }
    }
}

@Suite struct IDTests {
    @Test func digestParsing() throws {
        let d = try Digest("sha256:" + String(repeating: "0f", count: 32))
        #expect(d.short == "sha256:0f0f0f0f0f0f")
        #expect(throws: CNCError.self) { try Digest("sha256:" + String(repeating: "0F", count: 32)) }
        #expect(throws: CNCError.self) { try Digest("sha256:abc") }
        #expect(throws: CNCError.self) { try Digest("nocolon") }
    }

    @Test func containerIDs() throws {
        let a = ContainerID.random(), b = ContainerID.random()
        #expect(a != b)
        #expect(a.short.count == 12)
        #expect(try ContainerID(a.rawValue) == a)
        #expect(a.matches(prefix: a.short))
        #expect(!a.matches(prefix: ""))
        #expect(throws: CNCError.self) { try ContainerID("xyz") }
    }
}
