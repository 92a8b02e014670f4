import CNCAppCLI
import CNCCLI

CommandLineEntry.main(CNCCommand.self, name: "cnc", handOff: (CNCCommand.registryVerbs, "cnc-registry"),
                            fastPath: CNCCommand.fastPath)
