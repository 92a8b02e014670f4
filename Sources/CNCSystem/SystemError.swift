import CNCCore
import Glibc

/// Builds CNCErrors for failed system calls: "<call> <path>: <strerror> (<ERRNO>)".
public enum SystemError {
    /// The error for `call` that failed with `errno` on `path`.
    public static func make(_ call: String, errno code: Int32, path: String? = nil) -> CNCError {
        let subject = path.map { "\(call) \($0)" } ?? call
        return CNCError(mapCode(code), "\(subject): \(describe(code))", errnoCode: code)
    }

    /// "No such file or directory (ENOENT)"
    public static func describe(_ code: Int32) -> String {
        let text = strerror(code).map { String(cString: $0) } ?? "errno \(code)"
        return "\(text) (\(errnoName(code)))"
    }

    public static func errnoName(_ code: Int32) -> String {
        switch code {
        case EPERM: "EPERM"; case ENOENT: "ENOENT"; case ESRCH: "ESRCH"; case EINTR: "EINTR"
        case EIO: "EIO"; case ENXIO: "ENXIO"; case E2BIG: "E2BIG"; case ENOEXEC: "ENOEXEC"
        case EBADF: "EBADF"; case ECHILD: "ECHILD"; case EAGAIN: "EAGAIN"; case ENOMEM: "ENOMEM"
        case EACCES: "EACCES"; case EFAULT: "EFAULT"; case EBUSY: "EBUSY"; case EEXIST: "EEXIST"
        case EXDEV: "EXDEV"; case ENODEV: "ENODEV"; case ENOTDIR: "ENOTDIR"; case EISDIR: "EISDIR"
        case EINVAL: "EINVAL"; case ENFILE: "ENFILE"; case EMFILE: "EMFILE"; case ENOTTY: "ENOTTY"
        case EFBIG: "EFBIG"; case ENOSPC: "ENOSPC"; case ESPIPE: "ESPIPE"; case EROFS: "EROFS"
        case EMLINK: "EMLINK"; case EPIPE: "EPIPE"; case ERANGE: "ERANGE"; case ENAMETOOLONG: "ENAMETOOLONG"
        case ENOSYS: "ENOSYS"; case ENOTEMPTY: "ENOTEMPTY"; case ELOOP: "ELOOP"; case EOPNOTSUPP: "EOPNOTSUPP"
        case EADDRINUSE: "EADDRINUSE"; case ECONNREFUSED: "ECONNREFUSED"; case ECONNRESET: "ECONNRESET"
        case ETIMEDOUT: "ETIMEDOUT"
        default: "errno \(code)"
        }
    }

    static func mapCode(_ code: Int32) -> CNCError.Code {
        switch code {
        case ENOENT, ESRCH: .notFound
        case EEXIST: .alreadyExists
        case EPERM, EACCES, EROFS: .permissionDenied
        case EBUSY: .conflict
        case ENOSYS, EOPNOTSUPP: .unsupported
        case EINVAL: .invalidArgument
        case ETIMEDOUT: .timeout
        default: .system
        }
    }
}

/// Calls `body` until it does not fail with EINTR; throws a SystemError naming `call` and `path`
/// when it returns -1.
@discardableResult
public func retryingEINTR<T: BinaryInteger>(_ call: String, path: String? = nil, _ body: () -> T) throws -> T {
    while true {
        let r = body()
        if r != -1 { return r }
        let e = errno
        if e == EINTR { continue }
        throw SystemError.make(call, errno: e, path: path)
    }
}
