import ArgumentParser
import CNCAppCLI
import CNCStart
import Testing
@testable import CNCCLI

/// Docker's boolean flags, bare or with a value (`--rm`, `--rm=false`, `-i=true`), for every
/// command; never in a workload's own argv.
@Suite struct BoolFlagValuesTests {
    func rewritten(_ args: [String]) -> [String] { BoolFlagValues.rewrite(args, root: CNCCommand.self) }

    @Test(arguments: [
        (["attach", "--sig-proxy=false", "web"], ["attach", "--no-sig-proxy", "web"]),
        (["attach", "--sig-proxy=true", "web"], ["attach", "--sig-proxy", "web"]),
        (["container", "attach", "--sig-proxy=0", "web"], ["container", "attach", "--no-sig-proxy", "web"]),
        // attach takes no argv: a flag after the container is still its flag (cobra intersperses).
        (["attach", "web", "--sig-proxy=F"], ["attach", "web", "--no-sig-proxy"]),
        (["commit", "--pause=false", "web", "img"], ["commit", "--no-pause", "web", "img"]),
        (["commit", "-p=false", "web"], ["commit", "--no-pause", "web"]),
        (["commit", "--pause", "web"], ["commit", "--pause", "web"]),
        (["run", "--sig-proxy=false", "img"], ["run", "--no-sig-proxy", "img"]),
        (["run", "--rm=true", "img"], ["run", "--rm", "img"]),
        // A flag without an inversion set to false is left out (its default); the last spelling wins.
        (["run", "--rm=false", "img"], ["run", "img"]),
        (["run", "--rm", "--rm=false", "img"], ["run", "img"]),
        (["run", "--rm=false", "--rm", "img"], ["run", "--rm", "img"]),
        (["run", "-it", "--tty=false", "img", "sh"], ["run", "--interactive", "img", "sh"]),
        (["run", "-i=false", "-t=1", "img"], ["run", "--tty", "img"]),
        (["run", "-it=false", "img"], ["run", "--interactive", "img"]),
        (["run", "-de", "A=1", "--detach=false", "img"], ["run", "-e", "A=1", "img"]),
        (["run", "--name", "--rm=true", "img"], ["run", "--name", "--rm=true", "img"]),
        (["run", "--init=TRUE", "--privileged=t", "--read-only=True", "img"], ["run", "--init", "--privileged", "--read-only", "img"]),
        // Nothing after the image (the container's argv) nor after "--" is cnc's.
        (["run", "--rm=true", "img", "cmd", "--rm=false", "-i=true"], ["run", "--rm", "img", "cmd", "--rm=false", "-i=true"]),
        (["run", "img", "--sig-proxy=false"], ["run", "img", "--sig-proxy=false"]),
        (["exec", "-i=false", "web", "sh", "-t=true"], ["exec", "web", "sh", "-t=true"]),
        (["commit", "--", "--pause=false"], ["commit", "--", "--pause=false"]),
        // Options keep their values; words that are not pflag's booleans are left to the parser.
        (["run", "--name=true", "-e=A=false", "img"], ["run", "--name=true", "-e=A=false", "img"]),
        (["attach", "--sig-proxy=maybe", "web"], ["attach", "--sig-proxy=maybe", "web"]),
        (["ps", "-a=true", "-q=false"], ["ps", "--all"]),
        (["rm", "-f=1", "web"], ["rm", "--force", "web"]),
    ])
    func rewrites(input: [String], output: [String]) {
        #expect(rewritten(input) == output)
    }

    @Test func theRewrittenLineParses() throws {
        let a = try ContainerAttach.parse(Array(rewritten(["attach", "--sig-proxy=false", "--no-stdin", "web"]).dropFirst()))
        #expect(!a.sigProxy && a.noStdin && a.container == "web")
        let c = try ContainerCommit.parse(Array(rewritten(["commit", "-p=false", "-c", "CMD [\"sh\"]", "web", "img:1"]).dropFirst()))
        #expect(!c.pause && c.change == ["CMD [\"sh\"]"] && c.reference == "img:1")
        let r = try ContainerRun.parse(Array(rewritten(["run", "--sig-proxy", "--rm=false", "-i=true", "img", "--rm=true"]).dropFirst()))
        #expect(r.sigProxy && !r.rm && r.options.interactive && r.options.image == "img" && r.options.command == ["--rm=true"])
        let off = try ContainerRun.parse(Array(rewritten(["run", "--sig-proxy=false", "img"]).dropFirst()))
        #expect(!off.sigProxy)
        let e = try ContainerExec.parse(Array(rewritten(["exec", "--tty=false", "-i=1", "web", "ls", "-l"]).dropFirst()))
        #expect(e.interactive && !e.tty && e.container == "web" && e.command == ["ls", "-l"])
    }

    /// Every boolean flag of run, in each of docker's spellings: the start path's own parser
    /// (which reads `--X=true|false` itself) and ArgumentParser after the rewrite agree.
    @Test(arguments: ["true", "false", "1", "0", "T", "F", "TRUE", "False"])
    func everyRunFlagTakesAValue(_ word: String) throws {
        for flag in RunFlags.flagNames {
            for args in [["--\(flag)=\(word)", "img"], ["--\(flag)", "--\(flag)=\(word)", "img", "--\(flag)=true"]] {
                let fast = try #require(RunFlags.parseFast(args, withDetach: true), "fast parser declined \(args)")
                let line = Array(rewritten(["run"] + args).dropFirst())
                let c = try ContainerRun.parse(line)
                var reference = RunFlags.Invocation(flags: c.options.flags, detach: c.detach, rm: c.rm)
                reference.sigProxy = c.sigProxy
                #expect(fast == reference, "\(args) -> \(line)")
                #expect(c.options.command == (args.count > 2 ? ["--\(flag)=true"] : []))
            }
        }
    }

    /// Bare boolean flags before the image: never the image, never a value.
    @Test func bareFlagsBeforeTheImage() throws {
        for flag in ["sig-proxy", "rm", "interactive", "init", "privileged", "read-only", "tty"] {
            let fast = try #require(RunFlags.parseFast(["--\(flag)", "busybox", "true"], withDetach: true))
            #expect(fast.flags.image == "busybox" && fast.flags.command == ["true"])
            let c = try ContainerRun.parse(["--\(flag)", "busybox", "true"])
            #expect(c.options.image == "busybox" && c.options.command == ["true"])
        }
    }
}
