import Foundation
import Testing

/// Docker's boolean flags through the real `cnc` (the start path and cnc-cli): bare
/// (`--sig-proxy`, `--rm`, `-i`) and with a value (`--rm=false`, `-t=1`); a container's own
/// argv is never read as cnc's flags. And `--memory -1`, which docker's CLI refuses.
@Suite(.serialized) struct BoolFlagCLITests {
    @Test func bareAndValuedFlagsOfRunExecRm() throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        // Bare --sig-proxy before the image (was: "bb:1" taken as its value); the argv after the
        // image keeps its own --rm=false and -i.
        let bare = try box.cnc(["run", "--sig-proxy", "--rm=true", "--init=false", "-i=false", "--network", "none", "bb:1", "echo", "--rm=false", "-i"])
        #expect(bare.status == 0 && bare.stdout == "--rm=false -i\n", "\(bare.stdout)\(bare.stderr)")
        #expect(box.eventually { (try? box.cnc(["ps", "-a", "-q"]).stdout) == "" }, "--rm=true left the container")
        // The last spelling wins: --rm then --rm=false keeps the container; short -d=1 detaches.
        let kept = try box.cnc(["run", "--rm", "--rm=false", "--name", "kept", "--network", "none", "bb:1", "true"])
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(try box.status("kept") == "exited")
        let bg = try box.cnc(["run", "-d=1", "--sig-proxy=false", "--name", "bg", "--network", "none", "bb:1", "sleep", "1000"])
        #expect(bg.status == 0 && bg.stdout.count == 65, "\(bg.stdout)\(bg.stderr)")
        #expect(try box.status("bg") == "running")
        let exec = try box.cnc(["exec", "-t=false", "--interactive=0", "bg", "echo", "-t=true"])
        #expect(exec.status == 0 && exec.stdout == "-t=true\n", "\(exec.stdout)\(exec.stderr)")
        // A word that is not one of pflag's booleans is refused, as a usage error.
        let bad = try box.cnc(["run", "--rm=yes", "--network", "none", "bb:1", "true"])
        #expect(bad.status == 125 && bad.stderr.hasPrefix("invalid argument \"yes\" for \"--rm\" flag: strconv.ParseBool"), "\(bad.stdout)\(bad.stderr)")
        // docker's CLI sums up the containers it could not start.
        let start = try box.cnc(["start", "nosuch1", "nosuch2"])
        #expect(start.status == 1 && start.stderr.hasSuffix("Error: failed to start containers: nosuch1, nosuch2\n"), "\(start.stderr)")
        #expect(try box.cnc(["rm", "-f=true", "bg", "kept"]).status == 0)
        #expect(try box.cnc(["ps", "-a", "-q"]).stdout == "")
    }

    @Test(arguments: [["-m", "-1"], ["--memory=-1"], ["--memory-reservation", "-1"]])
    func memoryMinusOneIsRefusedAsDockersCLIDoes(_ flag: [String]) throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        for verb in ["run", "create"] {
            let r = try box.cnc([verb, "--name", "m"] + flag + ["--network", "none", "bb:1", "true"])
            let name = flag[0].hasPrefix("--memory-r") ? "--memory-reservation" : "-m, --memory"
            #expect(r.status == 125 && r.stderr.contains("invalid argument \"-1\" for \"\(name)\" flag: invalid size: '-1'"), "\(flag) \(r.stderr)")
            #expect(try box.cnc(["ps", "-a", "-q"]).stdout == "", "\(verb) \(flag) left a container")
        }
        // 0 is no limit, as with docker.
        #expect(try box.cnc(["run", "--rm", "-m", "0", "--network", "none", "bb:1", "true"]).status == 0)
    }

    /// Filters as docker's daemon checks them: an unknown key is refused even when there is
    /// nothing to list; `exec` without a command is a usage error (two arguments needed).
    @Test func unknownFilterKeysAndExecWithoutCommand() throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        for args in [["ps", "--filter", "bogus=1"], ["volume", "ls", "--filter", "bogus=1"], ["volume", "prune", "-f", "--filter", "bogus=1"],
                     ["container", "prune", "-f", "--filter", "bogus=1"]] {
            // The root before the command words (box.cnc puts it after the first).
            let r = try CLI.exec(CLI.binDir + "/cnc", ["--root", box.root] + args)
            #expect(r.status == 1 && r.stderr == "Error: Invalid filter 'bogus'\n", "\(args): \(r.stderr)")
        }
        let ancestor = try box.cnc(["ps", "--filter", "ancestor=bb:1"])
        #expect(ancestor.status == 1 && ancestor.stderr == "Error: filter 'ancestor' is not supported yet\n", "\(ancestor.stderr)")
        let run = try box.cnc(["create", "--name", "c1", "--network", "none", "bb:1", "true"])
        #expect(run.status == 0, "\(run.stderr)")
        // `port C PORT` for a port that is not published: docker's error, exit 1.
        let port = try box.cnc(["port", "c1", "80"])
        #expect(port.status == 1 && port.stderr == "Error: No public port '80' published for c1\n", "\(port.stderr)")
        #expect(try box.cnc(["port", "c1"]).status == 0)
        let exec = try box.cnc(["exec", "c1"])
        #expect(exec.status == 1 && exec.stderr.hasPrefix("\"cnc exec\" requires at least 2 arguments."), "\(exec.stderr)")
        let noCommand = try box.cnc(["run", "--rm", "--network", "none", "--entrypoint", "", "bb:1"])
        #expect(noCommand.status == 125 && noCommand.stderr == "Error: No command specified\n", "\(noCommand.stderr)")
    }
}
