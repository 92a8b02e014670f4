import CNCAppCLI

CommandLineEntry.main(CNCApplyCommand.self, name: "cncapply", preparsed: CNCApplyCommand.preparsed)
