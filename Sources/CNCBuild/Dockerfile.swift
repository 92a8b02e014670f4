/// A parsed Dockerfile: BuildKit's Dockerfile frontend model, before any variable is substituted
/// (substitution needs the build's arguments: `StageScope` does it per stage).
public struct Dockerfile: Sendable {
    /// The name errors and lint findings show ("Dockerfile", or the path given with -f).
    public var path: String
    public var escape: Unicode.Scalar
    public var directives: [ParserDirective]
    /// Every instruction in order, the ARGs before the first FROM included.
    public var instructions: [Instruction]
    /// Parser warnings (empty continuation lines, an ignored `# syntax=`).
    public var warnings: [BuildWarning]

    /// `# check=skip=A,B;error=true`: the lint rules skipped and whether findings fail the build.
    public var checkDirective: CheckDirective {
        CheckDirective(directives.first { $0.name == "check" }?.value ?? "")
    }
}

/// A parser directive at the top of the file (`# escape=`, `# syntax=`, `# check=`).
public struct ParserDirective: Sendable, Equatable {
    public var name: String
    public var value: String
    public var line: Int
}

public struct CheckDirective: Sendable, Equatable {
    public var skip: Set<String> = []
    public var skipAll = false
    public var error = false

    public init(_ text: String) {
        for part in text.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces() }
            guard kv.count == 2 else { continue }
            switch kv[0].lowercased() {
            case "skip":
                for rule in kv[1].split(separator: ",").map({ $0.trimmingSpaces() }) where !rule.isEmpty {
                    if rule.lowercased() == "all" { skipAll = true } else { skip.insert(rule) }
                }
            case "error": error = kv[1].lowercased() == "true"
            default: continue
            }
        }
    }
}

public struct BuildWarning: Sendable, Equatable {
    public var line: Int
    public var message: String
}

/// One `<<EOF` document of a RUN, COPY or ADD.
public struct Heredoc: Sendable, Equatable {
    public var name: String
    /// The lines between the instruction and the terminator, each with its newline.
    public var content: String
    /// False when any part of the delimiter was quoted (`<<'EOF'`, `<<"EOF"`): no substitution.
    public var expand: Bool
    /// `<<-EOF`: leading tabs are stripped from each line (and from the terminator).
    public var chomp: Bool
    /// `3<<EOF`: the file descriptor a RUN feeds it on (0 when not given).
    public var fileDescriptor: Int

    /// The content as the build uses it: leading tabs stripped for `<<-`.
    public var body: String {
        guard chomp else { return content }
        return content.split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0.drop { $0 == "\t" }) }.joined(separator: "\n")
    }
}

public struct InstructionFlag: Sendable, Equatable {
    public var name: String
    /// nil for `--link` written without `=`.
    public var value: String?
}

public enum InstructionKind: String, Sendable, CaseIterable {
    case from, arg, env, label, expose, user, workdir, volume, stopsignal, healthcheck, shell
    case onbuild, cmd, entrypoint, run, copy, add, maintainer

    /// The name as the Dockerfile reference writes it.
    public var name: String { self == .stopsignal ? "STOPSIGNAL" : rawValue.uppercased() }
}

/// A command line in exec (JSON) or shell form.
public enum CommandLine: Sendable, Equatable {
    case exec([String])
    case shell(String)

    public var isShellForm: Bool { if case .shell = self { true } else { false } }
}

public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

public struct ArgDefinition: Sendable, Equatable {
    public var name: String
    /// The default as written (substituted when the stage is evaluated); nil when there is none.
    public var defaultValue: String?
}

public struct FromSpec: Sendable, Equatable {
    public var image: String
    /// Lowercased, as BuildKit keys stages.
    public var stageName: String?
    /// The stage name and the `AS` keyword as written (for the casing checks).
    public var writtenStageName: String?
    public var asKeyword: String?
    public var platform: String?
}

public struct HealthcheckSpec: Sendable, Equatable {
    public var test: CommandLine
    /// Nanoseconds; nil when not given (the image's or the default applies).
    public var interval: Int64?
    public var timeout: Int64?
    public var startPeriod: Int64?
    public var startInterval: Int64?
    public var retries: Int?
}

public struct RunSpec: Sendable, Equatable {
    public var command: CommandLine
    public var mounts: [RunMount]
    public var network: RunNetwork?
    public var security: String?
}

public enum RunNetwork: String, Sendable, Equatable { case `default`, none, host }

public struct CopySpec: Sendable, Equatable {
    /// Sources as written; a heredoc source is its `<<NAME` word (the document is in `heredocs`).
    public var sources: [String]
    public var destination: String
    public var from: String?
    public var chown: String?
    public var chmod: String?
    public var link: Bool
    public var parents: Bool
    public var exclude: [String]
    /// ADD only.
    public var checksum: String?
    public var keepGitDir: Bool
}

/// What one instruction says, by kind (words not yet substituted).
public indirect enum Command: Sendable, Equatable {
    case from(FromSpec)
    case arg([ArgDefinition])
    case env([KeyValue], legacy: Bool)
    case label([KeyValue], legacy: Bool)
    case expose([String])
    case user(String)
    case workdir(String)
    case volume([String])
    case stopSignal(String)
    /// nil: `HEALTHCHECK NONE`.
    case healthcheck(HealthcheckSpec?)
    case shell([String])
    case onbuild(Instruction)
    case cmd(CommandLine)
    case entrypoint(CommandLine)
    case run(RunSpec)
    case copy(CopySpec)
    case add(CopySpec)
    case maintainer(String)
}

public struct Instruction: Sendable, Equatable {
    public var kind: InstructionKind
    /// The keyword as written (`run`, `Run`, `RUN`).
    public var keyword: String
    /// First and last physical line (1-based); heredoc lines count toward the last.
    public var line: Int
    public var endLine: Int
    /// The logical line after continuations were joined.
    public var original: String
    public var flags: [InstructionFlag]
    public var command: Command
    public var heredocs: [Heredoc]
    /// The comment lines right above it (BuildKit's PrevComment).
    public var comments: [String]
    /// True when the arguments were given in JSON (exec) form.
    public var isJSON: Bool
}

/// `Dockerfile:LINE: INSTRUCTION: why` — where and why a Dockerfile is refused.
public struct DockerfileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var instruction: String?
    public var message: String

    public init(file: String, line: Int, instruction: String? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.instruction = instruction
        self.message = message
    }

    public var description: String { "\(file):\(line): " + (instruction.map { "\($0): " } ?? "") + message }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop { isGoSpace($0.unicodeScalars.first ?? "a") }.reversed().drop { isGoSpace($0.unicodeScalars.first ?? "a") }.reversed())
    }
}

extension String {
    func trimmingSpaces() -> String { self[...].trimmingSpaces() }
}
