import CNCAppCLI
import CNCRegistryCLI

CommandLineEntry.main(CNCRegistryCommand.self, name: "cnc")
