// cnc-init: the first process of every container. Glibc only and statically linked, so it
// runs inside any rootfs and starts in about a millisecond. The runtime grows it into the
// rootfs/namespace setup stage; today it execs its arguments.
import CShim
import Glibc

func fail(_ message: String) {
    let bytes = Array(message.utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

let args = CommandLine.arguments
if args.count < 2 {
    fail("usage: cnc-init COMMAND [ARG...]\n")
    exit(127)
}
if args[1] == "--version" {
    print("cnc-init (cnc)")
    exit(0)
}
var argv: [UnsafeMutablePointer<CChar>?] = args.dropFirst().map { strdup($0) }
argv.append(nil)
execvp(args[1], argv)
let e = errno
fail("cnc-init: exec \(args[1]): \(String(cString: strerror(e)))\n")
exit(e == ENOENT ? 127 : 126)
