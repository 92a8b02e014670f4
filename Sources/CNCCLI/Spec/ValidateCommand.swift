import ArgumentParser
import CNCSpec

/// `cncapply validate`: compile the spec and report every problem; silent on success.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check an app spec: exit 0 silently when valid, else exit 1 listing every error (file:line:col: key: problem).")

    @OptionGroup var spec: SpecOptions

    func run() async throws {
        _ = try spec.loadReporting()
    }
}
