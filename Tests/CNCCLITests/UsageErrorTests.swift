import CNCAppCLI
import Testing

/// ArgumentParser's usage messages in docker's (cobra/pflag) words.
struct UsageErrorTests {
    @Test(arguments: [
        ("Unknown option '--foo'. Did you mean '--root'?", "unknown flag: --foo"),
        ("Error: Unknown option '--foo'", "unknown flag: --foo"),
        ("Unknown option '-z'", "unknown shorthand flag: 'z' in -z"),
        ("Missing value for '--format <format>'", "flag needs an argument: --format"),
        ("Missing value for '-n <n>'", "flag needs an argument: 'n' in -n"),
        ("The value 'yaml' is invalid for '--format <format>'. Please provide one of 'text' and 'json'.",
         "invalid argument \"yaml\" for \"--format\" flag: Please provide one of 'text' and 'json'."),
        ("The value 'x' is invalid for '-t, --time <time>'", "invalid argument \"x\" for \"--time\" flag"),
        ("Missing expected argument '<image>'", "\"cnc run\" requires at least 1 argument."),
        ("The option '--rm' does not take any value, but 'yes' was specified.",
         "invalid argument \"yes\" for \"--rm\" flag: strconv.ParseBool: parsing \"yes\": invalid syntax"),
        ("Something else entirely", "Something else entirely"),
    ])
    func dockerWords(argumentParser: String, docker: String) {
        #expect(UsageError.dockerMessage(argumentParser, command: "cnc run") == docker)
    }

    @Test func execNeedsTwoArguments() {
        #expect(UsageError.dockerMessage("Missing expected argument '<command> ...'", command: "cnc exec") == "\"cnc exec\" requires at least 2 arguments.")
        #expect(UsageError.dockerMessage("Missing expected argument '<container>'", command: "cnc container exec") == "\"cnc container exec\" requires at least 2 arguments.")
    }

    @Test func exitStatuses() {
        #expect(UsageError.exitStatus("Unknown option '--foo'") == 125)
        #expect(UsageError.exitStatus("Missing expected argument '<image>'") == 1)
    }
}
