import ArgumentParser

/// `cnc completion bash|zsh|fish` and `cncapply completion ...` (docker's command): the
/// completion script of `Root`, generated from its command tree, so every subcommand, flag
/// and option (and the names arguments ask for, see NameCompletion) completes, including
/// commands added later.
public struct CompletionCommand<Root: ParsableCommand>: ParsableCommand {
    public enum Shell: String, ExpressibleByArgument, CaseIterable, Sendable {
        case bash, zsh, fish

        var completionShell: CompletionShell {
            switch self {
            case .bash: .bash
            case .zsh: .zsh
            case .fish: .fish
            }
        }
    }

    public static var configuration: CommandConfiguration {
        let name = Root._commandName
        return CommandConfiguration(
            commandName: "completion",
            abstract: "Generate the autocompletion script for the specified shell (bash, zsh or fish).",
            discussion: """
            The script completes \(name)'s commands and flags, and the names of containers, images, \
            networks, volumes and services, read from the state root the command line names \
            (--root, else CNC_ROOT, else /var/lib/cnc). `make install` installs the scripts in \
            each shell's directory.

            EXAMPLES
              source <(\(name) completion bash)                           # this shell only
              \(name) completion bash > /etc/bash_completion.d/\(name)
              \(name) completion zsh > "${fpath[1]}/_\(name)"
              \(name) completion fish > ~/.config/fish/completions/\(name).fish
            """)
    }

    @Argument(help: "The shell: bash, zsh or fish.") var shell: Shell

    public init() {}

    public func run() throws {
        var script = Root.completionScript(for: shell.completionShell)
        if shell == .bash { script += Self.bashLeadingGlobals(Root._commandName) }
        print(script, terminator: "")
    }

    /// `cnc --root DIR stop <TAB>`: global options before the subcommand are read by
    /// CommandLineEntry, not declared on the root command (ArgumentParser then refuses them
    /// after nested subcommands), so the generated function would take `--root` for the
    /// subcommand. This wrapper moves them just before the word being completed, where the
    /// subcommand declares them, and the name completions still see the root.
    static func bashLeadingGlobals(_ name: String) -> String {
        let fn = "_" + name.replacingOccurrences(of: "-", with: "_")
        return """

        \(fn)_globals() {
            local -a words=("${COMP_WORDS[@]}") globals=()
            local -i i=1
            while [[ "${words[i]}" == --root || "${words[i]}" == --log-level ]] && (( i + 1 < COMP_CWORD )); do
                globals+=("${words[i]}" "${words[i + 1]}"); i+=2
            done
            while [[ "${words[i]}" == --root=* || "${words[i]}" == --log-level=* ]] && (( i < COMP_CWORD )); do
                globals+=("${words[i]}"); i+=1
            done
            if (( ${#globals[@]} > 0 )); then
                local -a COMP_WORDS=("${words[0]}" "${words[@]:i:COMP_CWORD-i}" "${globals[@]}" "${words[@]:COMP_CWORD}")
                local COMP_LINE="${COMP_WORDS[*]}"
                local -i COMP_POINT=${#COMP_LINE}
            fi
            \(fn) "$@"
        }
        complete -o filenames -F \(fn)_globals \(name)

        """
    }
}

extension CompletionCommand: RunsOutsideRootlessNamespace {}
