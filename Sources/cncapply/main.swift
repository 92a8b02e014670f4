import CNCAppCLI

await CommandLineEntry.main(CNCApplyCommand.self, name: "cncapply")
