import ArgumentParser
import CNCAppCLI
import CNCBuilder

/// Hidden: a build starts this with its first RUN and it clears what that build leaves if the
/// build is killed (see CNCBuilder's BuildSentinel).
struct BuildSentinelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build-sentinel", abstract: "Clear what a killed build leaves (started by cnc build).",
        shouldDisplay: false)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The build's pid.") var owner: Int32

    func run() throws {
        _ = Builder.serveSentinel(owner: owner, runtime: try global.runtime())
    }
}
