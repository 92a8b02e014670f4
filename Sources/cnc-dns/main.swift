// cnc-dns: the DNS server of one cnc network (Docker's embedded resolver, podman's
// aardvark-dns), started by the network code with the network's first container and stopped
// with its last. Its logic is CNCDNSCore; Glibc only and static, like cnc-monitor.
//
//   cnc-dns --network NAME --address IPv4 --records FILE --pidfile FILE [--internal]
//   (fd 3: the bound UDP socket, fd 4: the listening TCP socket; CNC_DNS_UPSTREAM: see DNSServerConfig)
import CNCDNSCore
import Glibc

let override = getenv("CNC_DNS_UPSTREAM").map { String(cString: $0) }
guard let config = DNSServerConfig.parse(Array(CommandLine.arguments.dropFirst()), upstreamOverride: override) else {
    let message = Array("cnc-dns: \(DNSServerConfig.usage)\n".utf8)
    _ = write(2, message, message.count)
    exit(2)
}
DNSServer(config: config).run()
