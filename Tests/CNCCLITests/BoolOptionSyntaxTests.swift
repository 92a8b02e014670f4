import Testing
@testable import CNCCLI

/// Docker's `--flag=false` for the boolean options ArgumentParser reads as flags.
@Suite struct BoolOptionSyntaxTests {
    @Test(arguments: [
        (["attach", "--sig-proxy=false", "web"], ["attach", "--no-sig-proxy", "web"]),
        (["attach", "--sig-proxy=true", "web"], ["attach", "--sig-proxy", "web"]),
        (["container", "attach", "--sig-proxy=0", "web"], ["container", "attach", "--no-sig-proxy", "web"]),
        (["commit", "--pause=false", "web", "img"], ["commit", "--no-pause", "web", "img"]),
        (["commit", "-p=false", "web"], ["commit", "--no-pause", "web"]),
        (["commit", "--pause", "web"], ["commit", "--pause", "web"]),
        // Other verbs, values after "--" and unknown values are left alone.
        (["run", "--sig-proxy=false", "img"], ["run", "--sig-proxy=false", "img"]),
        (["commit", "--", "--pause=false"], ["commit", "--", "--pause=false"]),
        (["attach", "--sig-proxy=maybe", "web"], ["attach", "--sig-proxy=maybe", "web"]),
    ])
    func rewrites(input: [String], output: [String]) {
        #expect(BoolOptionSyntax.rewrite(input) == output)
    }

    @Test func theRewrittenLineParses() throws {
        let a = try ContainerAttach.parse(Array(BoolOptionSyntax.rewrite(["attach", "--sig-proxy=false", "--no-stdin", "web"]).dropFirst()))
        #expect(!a.sigProxy && a.noStdin && a.container == "web")
        let c = try ContainerCommit.parse(Array(BoolOptionSyntax.rewrite(["commit", "-p=false", "-c", "CMD [\"sh\"]", "web", "img:1"]).dropFirst()))
        #expect(!c.pause && c.change == ["CMD [\"sh\"]"] && c.reference == "img:1")
    }
}
