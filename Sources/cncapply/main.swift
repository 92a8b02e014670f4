import CNCAppCLI

CommandLineEntry.main(CNCApplyCommand.self, name: "cncapply")
