import ArgumentParser
import CNCCore

/// `cnc build`: not built yet. It exists so that a user typing docker's command is told so,
/// instead of an "unexpected argument" from the parser.
struct ImageBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build", abstract: "Build an image from a Dockerfile (not supported yet).",
        discussion: "EXAMPLES\n  cnc build -t web:v1 .")

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("docker build's arguments (ignored).", valueName: "args"))
    var arguments: [String] = []

    func run() throws {
        throw CNCError(.unsupported, "not supported yet: cnc build (Dockerfile builds)",
                       cause: "build the image with another tool (docker build, buildah, kaniko), then cnc load or cnc import it")
    }
}
