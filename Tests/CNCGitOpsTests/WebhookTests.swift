import CNCGitOps
import Foundation
import Testing

@Suite struct WebhookTests {
    let secret = Array("s3cret".utf8)
    let push = Array(#"{"ref":"refs/heads/main","after":"abc"}"#.utf8)
    var hook: Webhook { Webhook(secret: secret, branch: "main") }

    @Test func githubSignatureIsCheckedAgainstTheBody() {
        let sig = "sha256=" + Webhook.signature(push, secret: secret)
        #expect(hook.decide(headers: ["x-hub-signature-256": sig, "x-github-event": "push"], body: push) == .sync(provider: .github))
        // One byte of the body changed: rejected.
        var tampered = push
        tampered[tampered.count - 2] = UInt8(ascii: "x")
        guard case .unauthorized = hook.decide(headers: ["x-hub-signature-256": sig], body: tampered) else {
            Issue.record("a tampered body was accepted"); return
        }
        // The sha1 header form, a wrong secret and garbage are all rejected.
        for bad in ["sha1=" + Webhook.signature(push, secret: secret), "sha256=" + Webhook.signature(push, secret: Array("other".utf8)),
                    "sha256=zz", "sha256=", ""] {
            guard case .unauthorized = hook.decide(headers: ["x-hub-signature-256": bad], body: push) else {
                Issue.record("accepted signature \(bad)"); return
            }
        }
    }

    @Test func giteaSignsWithBareHexAndGitLabSendsTheToken() {
        #expect(hook.decide(headers: ["x-gitea-signature": Webhook.signature(push, secret: secret), "x-gitea-event": "push"], body: push)
                == .sync(provider: .gitea))
        #expect(hook.decide(headers: ["x-gitlab-token": "s3cret", "x-gitlab-event": "Push Hook"], body: push) == .sync(provider: .gitlab))
        for bad in ["s3cre", "s3crett", "S3CRET", ""] {
            guard case .unauthorized = hook.decide(headers: ["x-gitlab-token": bad], body: push) else {
                Issue.record("accepted token \(bad)"); return
            }
        }
    }

    @Test func noSignatureIsUnauthorized() {
        guard case .unauthorized(let why) = hook.decide(headers: [:], body: push) else { Issue.record("accepted"); return }
        #expect(why.contains("X-Hub-Signature-256"))
    }

    @Test(arguments: [
        (#"{"ref":"refs/heads/dev"}"#, "ignored"),
        (#"{"ref":"refs/tags/v1"}"#, "ignored"),
        (#"{"zen":"hi"}"#, "bad"),
        ("not json", "bad"),
    ])
    func otherBranchesAreIgnoredAndNonPushesRefused(body: String, expected: String) {
        let b = Array(body.utf8)
        let d = hook.decide(headers: ["x-hub-signature-256": "sha256=" + Webhook.signature(b, secret: secret)], body: b)
        switch (d, expected) {
        case (.ignored, "ignored"), (.badRequest, "bad"): break
        default: Issue.record("\(body): \(d)")
        }
    }

    @Test func pingEventsAreIgnored() {
        let sig = "sha256=" + Webhook.signature(push, secret: secret)
        #expect(hook.decide(headers: ["x-hub-signature-256": sig, "x-github-event": "ping"], body: push) == .ignored("ping event"))
    }

    @Test func secretFileLosesItsNewlineAndMustNotBeEmpty() throws {
        #expect(try Webhook.readSecret(Array("abc\n".utf8), path: "f") == Array("abc".utf8))
        #expect(throws: (any Error).self) { try Webhook.readSecret(Array("\n".utf8), path: "f") }
    }
}
