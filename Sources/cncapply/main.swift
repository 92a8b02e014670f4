import CNCCLI

await CommandLineEntry.main(CNCApplyCommand.self, name: "cncapply")
