import CNCAppCLI
import CNCRegistryCLI

await CommandLineEntry.main(CNCRegistryCommand.self, name: "cnc")
