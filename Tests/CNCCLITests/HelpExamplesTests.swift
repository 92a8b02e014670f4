import ArgumentParser
@testable import CNCAppCLI
import CNCCLI
import Testing

/// Every cncapply command's --help ends with docker-style EXAMPLES (aliases in help come from
/// `aliases:`, so they are real by construction).
@Suite struct HelpExamplesTests {
    @Test func everyCncapplyCommandShowsExamples() throws {
        for sub in CNCApplyCommand.configuration.subcommands {
            let help = CNCApplyCommand.helpMessage(for: sub, columns: 120)
            #expect(help.contains("EXAMPLES\n"), "cncapply \(sub._commandName) --help has no EXAMPLES")
        }
    }

    @Test func completionShowsHowToInstallForEachTool() {
        let cnc = CNCCommand.helpMessage(for: CompletionCommand<CNCCommand>.self, columns: 120)
        #expect(cnc.contains("source <(cnc completion bash)"), "\(cnc)")
        let apply = CNCApplyCommand.helpMessage(for: CompletionCommand<CNCApplyCommand>.self, columns: 120)
        #expect(apply.contains("cncapply completion fish > ~/.config/fish/completions/cncapply.fish"), "\(apply)")
    }
}
