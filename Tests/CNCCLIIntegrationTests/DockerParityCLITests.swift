import Foundation
import Testing

/// The last differences from docker's CLI, each compared side by side with docker 28 (its
/// stdout, stderr and exit status): top-level `inspect` of any kind of object, `--filter` of
/// `image prune` and `network prune` (and `label!=` of `container prune`), `logs --tail`
/// with a value that is not a count, inspect's template errors, commands that cannot run, and
/// lifecycle commands whose start fails.
@Suite(.serialized) struct DockerParityCLITests {
    /// `cnc ARGS` with the root before the command words (BusyboxRoot.cnc puts it after the first).
    static func cnc(_ box: BusyboxRoot, _ args: [String]) throws -> CLI.Result {
        try CLI.exec(CLI.binDir + "/cnc", ["--root", box.root] + args)
    }

    @Test func inspectFindsAnyKindOfObject() throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        #expect(try box.cnc(["create", "--name", "c1", "--network", "none", "bb:1", "true"]).status == 0)
        #expect(try Self.cnc(box, ["network", "create", "n1"]).status == 0)
        #expect(try Self.cnc(box, ["volume", "create", "v1"]).status == 0)
        // Each kind's document is the one its own inspect prints, found by name alone or by --type.
        for (name, own, kind) in [("c1", ["container", "inspect"], "container"), ("bb:1", ["image", "inspect"], "image"),
                                  ("n1", ["network", "inspect"], "network"), ("v1", ["volume", "inspect"], "volume")] {
            let expected = try Self.cnc(box, own + [name])
            #expect(expected.status == 0 && expected.stdout.hasPrefix("[\n"), "\(own): \(expected.stderr)")
            for args in [["inspect", name], ["inspect", "--type", kind, name]] {
                let r = try Self.cnc(box, args)
                #expect(r.status == 0 && r.stdout == expected.stdout && r.stderr == "", "\(args): \(r.stderr)")
            }
        }
        // Mixed kinds through one template, in the order given.
        let names = try Self.cnc(box, ["inspect", "-f", "{{.Name}}", "n1", "v1"])
        #expect(names.status == 0 && names.stdout == "n1\nv1\n", "\(names.stdout)\(names.stderr)")
        let imageID = try Self.cnc(box, ["image", "inspect", "-f", "{{.Id}}", "bb:1"]).stdout
        let mixed = try Self.cnc(box, ["inspect", "--format", "{{.Id}}", "bb:1"])
        #expect(mixed.status == 0 && mixed.stdout == imageID && imageID.hasPrefix("sha256:"), "\(mixed.stdout)\(mixed.stderr)")
        // A missing object: docker's words, after the others are printed; exit 1.
        let some = try Self.cnc(box, ["inspect", "c1", "n1", "nope"])
        #expect(some.status == 1 && some.stderr == "Error: No such object: nope\n", "\(some.stderr)")
        let docs = try JSONSerialization.jsonObject(with: Data(some.stdout.utf8)) as? [[String: Any]]
        #expect(docs?.count == 2 && docs?.first?["Name"] as? String == "/c1" && docs?.last?["Name"] as? String == "n1")
        for (args, error) in [(["--type", "container", "n1"], "No such container: n1"), (["--type", "image", "nope"], "No such image: nope"),
                              (["--type", "network", "v1"], "network v1 not found"), (["--type", "volume", "nope"], "get nope: no such volume"),
                              (["nope", "nope2"], "No such object: nope\nError: No such object: nope2")] {
            let r = try Self.cnc(box, ["inspect"] + args)
            #expect(r.status == 1 && r.stdout == "[]\n" && r.stderr == "Error: \(error)\n", "\(args): \(r.stdout)\(r.stderr)")
        }
        let bogus = try Self.cnc(box, ["inspect", "--type", "bogus", "c1"])
        #expect(bogus.status == 1 && bogus.stderr == "Error: unknown type: \"bogus\": must be one of \"config\", \"container\", \"image\", "
                + "\"network\", \"node\", \"plugin\", \"secret\", \"service\", \"task\", \"volume\"\n", "\(bogus.stderr)")
        let service = try Self.cnc(box, ["inspect", "--type", "service", "c1"])
        #expect(service.status != 0 && service.stderr.contains("not supported yet"), "\(service.stderr)")
        // A field the document lacks is an error, as docker's inspect templates (missingkey=error)
        // have it, not a silent "<no value>".
        for args in [["inspect", "-f", "{{.State.Bogus}}", "c1"], ["container", "inspect", "-f", "{{.State.Bogus}}", "c1"]] {
            let r = try Self.cnc(box, args)
            #expect(r.status == 1 && r.stderr == "Error: template parsing error: template: :1:8: executing \"\" at <.State.Bogus>: map has no entry for key \"Bogus\"\n",
                    "\(args): \(r.stdout)\(r.stderr)")
        }
        for args in [["network", "inspect", "-f", "{{.Bogus}}", "n1"], ["volume", "inspect", "-f", "{{.Bogus}}", "v1"],
                     ["image", "inspect", "-f", "{{.Bogus}}", "bb:1"], ["inspect", "-f", "{{.Bogus}}", "bb:1"]] {
            let r = try Self.cnc(box, args)
            #expect(r.status == 1 && r.stderr.hasSuffix("template: :1:2: executing \"\" at <.Bogus>: map has no entry for key \"Bogus\"\n"),
                    "\(args): \(r.stdout)\(r.stderr)")
        }
        // A template that does not parse: docker's inspect exits 64 before it reads anything,
        // without the usage hint of a bad flag.
        for args in [["inspect", "-f", "{{.Bogus", "c1"], ["image", "inspect", "-f", "{{nofunc .}}", "bb:1"], ["container", "inspect", "-f", "{{end}}", "nope"]] {
            let r = try Self.cnc(box, args)
            #expect(r.status == 64 && r.stdout == "" && r.stderr.hasPrefix("Error: template parsing error: template: :1: ") && !r.stderr.contains("--help"),
                    "\(args): \(r.stdout)\(r.stderr)")
        }
        // `container inspect` stays containers only.
        let onlyContainers = try Self.cnc(box, ["container", "inspect", "n1"])
        #expect(onlyContainers.status == 1 && onlyContainers.stderr.contains("No such container: n1"), "\(onlyContainers.stderr)")
    }

    @Test func imagePruneFilters() throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        let tar = box.dir + "/bb.tar"
        #expect(try box.cnc(["import", "-c", "LABEL keep=yes", tar, "lab:1"]).status == 0)
        #expect(try box.cnc(["import", "-c", "LABEL other=1", tar, "plain:1"]).status == 0)
        func tags() throws -> [String] {
            try box.cnc(["images", "--format", "{{.Repository}}:{{.Tag}}"]).stdout.split(separator: "\n").map(String.init).sorted()
        }
        #expect(try tags() == ["bb:1", "lab:1", "plain:1"])
        // Docker's refusals, before anything goes.
        for (filter, error) in [("bogus=1", "Invalid filter 'bogus'"), ("until=abc", "failed to parse value as time or duration: \"abc\""),
                                ("dangling=maybe", "invalid filter 'dangling=maybe'")] {
            let r = try Self.cnc(box, ["image", "prune", "-a", "-f", "--filter", filter])
            #expect(r.status == 1 && r.stderr == "Error: \(error)\n" && r.stdout == "", "\(filter): \(r.stdout)\(r.stderr)")
        }
        #expect(try tags() == ["bb:1", "lab:1", "plain:1"])
        // All were made just now: none was created more than an hour ago.
        let recent = try Self.cnc(box, ["image", "prune", "-a", "-f", "--filter", "until=1h"])
        #expect(recent.status == 0 && recent.stdout == "Total reclaimed space: 0B\n", "\(recent.stdout)\(recent.stderr)")
        #expect(try tags() == ["bb:1", "lab:1", "plain:1"])
        let labelled = try Self.cnc(box, ["image", "prune", "-a", "-f", "--filter", "label=keep=yes"])
        #expect(labelled.status == 0 && labelled.stdout.hasPrefix("Deleted Images:\nuntagged: lab:1\ndeleted: sha256:"), "\(labelled.stdout)\(labelled.stderr)")
        #expect(try tags() == ["bb:1", "plain:1"])
        // label!= keeps what has the label; an RFC 3339 `until` in the future takes the rest.
        let future = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
        let unlabelled = try Self.cnc(box, ["image", "prune", "-a", "-f", "--filter", "label!=other", "--filter", "until=\(future)"])
        #expect(unlabelled.status == 0 && unlabelled.stdout.contains("untagged: bb:1\n") && !unlabelled.stdout.contains("plain:1"), "\(unlabelled.stdout)")
        #expect(try tags() == ["plain:1"])
    }

    @Test func networkAndContainerPruneFilters() throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        #expect(try Self.cnc(box, ["network", "create", "--label", "env=dev", "dev1"]).status == 0)
        #expect(try Self.cnc(box, ["network", "create", "plain1"]).status == 0)
        func networks() throws -> [String] {
            try Self.cnc(box, ["network", "ls", "--format", "{{.Name}}"]).stdout.split(separator: "\n").map(String.init).filter { $0.hasSuffix("1") }.sorted()
        }
        for (filter, error) in [("bogus=1", "Invalid filter 'bogus'"), ("dangling=true", "Invalid filter 'dangling'"),
                                ("until=abc", "failed to parse value as time or duration: \"abc\"")] {
            let r = try Self.cnc(box, ["network", "prune", "-f", "--filter", filter])
            #expect(r.status == 1 && r.stderr == "Error: \(error)\n" && r.stdout == "", "\(filter): \(r.stdout)\(r.stderr)")
        }
        let recent = try Self.cnc(box, ["network", "prune", "-f", "--filter", "until=1h"])
        #expect(recent.status == 0 && recent.stdout == "", "\(recent.stdout)\(recent.stderr)")
        #expect(try networks() == ["dev1", "plain1"])
        let dev = try Self.cnc(box, ["network", "prune", "-f", "--filter", "label=env=dev"])
        #expect(dev.status == 0 && dev.stdout == "Deleted Networks:\ndev1\n\n", "\(dev.stdout)\(dev.stderr)")
        #expect(try networks() == ["plain1"])
        let rest = try Self.cnc(box, ["network", "prune", "-f", "--filter", "label!=env"])
        #expect(rest.status == 0 && rest.stdout == "Deleted Networks:\nplain1\n\n", "\(rest.stdout)\(rest.stderr)")

        // container prune takes label!= too (it was read as an unknown key "label!").
        #expect(try box.cnc(["create", "--name", "tagged", "--label", "keep", "--network", "none", "bb:1", "true"]).status == 0)
        #expect(try box.cnc(["create", "--name", "untagged", "--network", "none", "bb:1", "true"]).status == 0)
        let pruned = try Self.cnc(box, ["container", "prune", "-f", "--filter", "label!=keep"])
        #expect(pruned.status == 0 && pruned.stdout.hasPrefix("Deleted Containers:\n"), "\(pruned.stdout)\(pruned.stderr)")
        #expect(try box.cnc(["ps", "-a", "--format", "{{.Names}}"]).stdout == "tagged\n")
    }

    /// A command that cannot run: 127 when it is not found, 126 when it is no executable (a file
    /// without x, a directory), the same for `run` and `exec` (docker's run has these codes; its
    /// 20.10 daemon's exec says 126 for all, which the 126/127 rule does not follow).
    @Test func runAndExecAgreeOnCommandsThatCannotRun() throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        #expect(try box.cnc(["run", "-d", "--name", "up", "--network", "none", "bb:1", "sleep", "1000"]).status == 0)
        // /etc/motd: a file of bb:1 without x bits (mode 0644).
        for (command, status, cause) in [("nosuch", 127, "exec: \"nosuch\": executable file not found in $PATH"),
                                         ("/no/such", 127, "exec: \"/no/such\": stat /no/such: no such file or directory"),
                                         ("/etc/motd", 126, "exec: \"/etc/motd\": permission denied"),
                                         ("/etc", 126, "exec: \"/etc\": permission denied")] {
            let exec = try box.cnc(["exec", "up", command])
            #expect(exec.status == Int32(status) && exec.stderr == "Error: OCI runtime exec failed: exec failed: unable to start container process: \(cause): unknown\n",
                    "exec \(command): \(exec.status) \(exec.stderr)")
            let run = try box.cnc(["run", "--rm", "--name", "r1", "--network", "none", "bb:1", command])
            #expect(run.status == Int32(status) && run.stderr == "Error: failed to start container r1: \(cause)\n", "run \(command): \(run.status) \(run.stderr)")
        }
        // A workload that exits 127 itself is its own status, not a failed start.
        #expect(try box.cnc(["exec", "up", "sh", "-c", "exit 127"]).status == 127)
        // Refusals before anything runs are docker's 1.
        #expect(try box.cnc(["exec", "nope", "true"]).status == 1)
        #expect(try box.cnc(["create", "--name", "idle", "--network", "none", "bb:1", "true"]).status == 0)
        let idle = try box.cnc(["exec", "idle", "true"])
        #expect(idle.status == 1 && idle.stderr.hasPrefix("Error: Container ") && idle.stderr.hasSuffix(" is not running\n"), "\(idle.stderr)")
    }

    /// docker's start/restart/stop/kill/pause of several: the others go on, an error line per
    /// failure, exit 1; `start` sums up "failed to start containers: A, B"; `start -a` of a
    /// container that cannot start exits 1 (not run's 126/127).
    @Test func lifecycleCommandsReportEachFailureAndExit1() throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        #expect(try box.cnc(["create", "--name", "bad", "--network", "none", "bb:1", "nosuch"]).status == 0)
        #expect(try box.cnc(["create", "--name", "good", "--network", "none", "bb:1", "sleep", "1000"]).status == 0)
        let cause = "Error: failed to start container bad: exec: \"nosuch\": executable file not found in $PATH\n"
        let one = try box.cnc(["start", "bad"])
        #expect(one.status == 1 && one.stdout == "" && one.stderr == cause + "Error: failed to start containers: bad\n", "\(one.stderr)")
        let several = try box.cnc(["start", "good", "bad", "nope"])
        #expect(several.status == 1 && several.stdout == "good\n"
                && several.stderr == cause + "Error: No such container: nope\nError: failed to start containers: bad, nope\n", "\(several.stdout)\(several.stderr)")
        #expect(try box.status("good") == "running")
        let attached = try box.cnc(["start", "-a", "bad"])
        #expect(attached.status == 1 && attached.stderr == cause, "\(attached.status) \(attached.stderr)")
        let attachedMissing = try box.cnc(["start", "-a", "nope"])
        #expect(attachedMissing.status == 1 && attachedMissing.stderr == "Error: No such container: nope\n", "\(attachedMissing.stderr)")
        let attachedTwo = try box.cnc(["start", "-a", "good", "bad"])
        #expect(attachedTwo.status == 1 && attachedTwo.stdout == ""
                && attachedTwo.stderr == "Error: you cannot start and attach multiple containers at once\n", "\(attachedTwo.stderr)")
        let restart = try box.cnc(["restart", "-t", "0", "bad", "good"])
        #expect(restart.status == 1 && restart.stdout == "good\n" && restart.stderr == cause, "\(restart.stdout)\(restart.stderr)")
        #expect(try box.status("good") == "running")
        let pause = try box.cnc(["pause", "bad", "good", "nope"])
        #expect(pause.status == 1 && pause.stdout == "good\n" && pause.stderr.hasPrefix("Error: Container ")
                && pause.stderr.hasSuffix(" is not running\nError: No such container: nope\n"), "\(pause.stdout)\(pause.stderr)")
        #expect(try box.cnc(["unpause", "good"]).status == 0)
        let kill = try box.cnc(["kill", "bad", "good"])
        #expect(kill.status == 1 && kill.stdout == "good\n" && kill.stderr.hasPrefix("Error: Cannot kill container: bad: Container "), "\(kill.stdout)\(kill.stderr)")
        let stop = try box.cnc(["stop", "-t", "0", "good", "nope"])
        #expect(stop.status == 1 && stop.stdout == "good\n" && stop.stderr == "Error: No such container: nope\n", "\(stop.stdout)\(stop.stderr)")
        // A workload that exits at once with a high status of its own is started, not failed.
        #expect(try box.cnc(["create", "--name", "quick", "--network", "none", "bb:1", "sh", "-c", "exit 127"]).status == 0)
        let quick = try box.cnc(["start", "quick"])
        #expect(quick.status == 0 && quick.stdout == "quick\n", "\(quick.stderr)")
        #expect(try box.cnc(["start", "-a", "quick"]).status == 127)
    }

    /// docker's daemon reads --tail with strconv.Atoi: anything that is not a count (or a
    /// negative one) is every line, never an error.
    @Test func logsTailAsDockersDaemonReadsIt() throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        let run = try box.cnc(["run", "--name", "lg", "--network", "none", "bb:1", "sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done"])
        #expect(run.status == 0, "\(run.stderr)")
        let all = "line1\nline2\nline3\nline4\nline5\n"
        for (tail, out) in [("abc", all), ("-1", all), ("-2", all), ("all", all), ("ALL", all), (" 2", all), ("2.5", all),
                            ("999999999999999999999", all), ("0", ""), ("2", "line4\nline5\n"), ("+2", "line4\nline5\n")] {
            let r = try box.cnc(["logs", "--tail", tail, "lg"])
            #expect(r.status == 0 && r.stdout == out && r.stderr == "", "--tail '\(tail)': \(r.stdout)\(r.stderr)")
        }
        let short = try box.cnc(["logs", "-n", "abc", "lg"])
        #expect(short.status == 0 && short.stdout == all, "\(short.stderr)")
    }
}
