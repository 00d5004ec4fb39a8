// Linux errno values as they travel on the wire (negated in replies), and the error kinds
// that remove their ambiguity. Inside Sepia errors are Swift errors; codes exist on the wire.

/// The errno numbers Sepia answers with (Linux values).
public enum Errno: Int32, Sendable, CaseIterable {
    case EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7
    case ENOEXEC = 8, EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13
    case EFAULT = 14, EBUSY = 16, EEXIST = 17, EXDEV = 18, ENODEV = 19, ENOTDIR = 20
    case EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOTTY = 25, EFBIG = 27
    case ENOSPC = 28, ESPIPE = 29, EROFS = 30, EMLINK = 31, EPIPE = 32, EDOM = 33
    case ERANGE = 34, ENAMETOOLONG = 36, ENOSYS = 38, ENODATA = 61, ETIME = 62
    case EPROTO = 71, EBADMSG = 74, EOVERFLOW = 75, EMSGSIZE = 90, EPROTONOSUPPORT = 93
    case EOPNOTSUPP = 95, ECONNREFUSED = 111, EHOSTDOWN = 112, ETIMEDOUT = 110
    case ECANCELED = 125

    /// The negative return code a reply carries.
    public var rc: Int32 { -rawValue }

    /// The symbolic name, e.g. "ENOENT".
    public var name: String { String(describing: self) }

    /// Looks up a code given as positive or negative.
    public init?(code: Int32) { self.init(rawValue: code < 0 ? -code : code) }

    /// strerror text (glibc wording), used in messages and as Lua error text.
    public var message: String {
        switch self {
        case .EPERM: "Operation not permitted"
        case .ENOENT: "No such file or directory"
        case .ESRCH: "No such process"
        case .EINTR: "Interrupted system call"
        case .EIO: "Input/output error"
        case .ENXIO: "No such device or address"
        case .E2BIG: "Argument list too long"
        case .ENOEXEC: "Exec format error"
        case .EBADF: "Bad file descriptor"
        case .ECHILD: "No child processes"
        case .EAGAIN: "Resource temporarily unavailable"
        case .ENOMEM: "Cannot allocate memory"
        case .EACCES: "Permission denied"
        case .EFAULT: "Bad address"
        case .EBUSY: "Device or resource busy"
        case .EEXIST: "File exists"
        case .EXDEV: "Invalid cross-device link"
        case .ENODEV: "No such device"
        case .ENOTDIR: "Not a directory"
        case .EISDIR: "Is a directory"
        case .EINVAL: "Invalid argument"
        case .ENFILE: "Too many open files in system"
        case .EMFILE: "Too many open files"
        case .ENOTTY: "Inappropriate ioctl for device"
        case .EFBIG: "File too large"
        case .ENOSPC: "No space left on device"
        case .ESPIPE: "Illegal seek"
        case .EROFS: "Read-only file system"
        case .EMLINK: "Too many links"
        case .EPIPE: "Broken pipe"
        case .EDOM: "Numerical argument out of domain"
        case .ERANGE: "Numerical result out of range"
        case .ENAMETOOLONG: "File name too long"
        case .ENOSYS: "Function not implemented"
        case .ENODATA: "No data available"
        case .ETIME: "Timer expired"
        case .EPROTO: "Protocol error"
        case .EBADMSG: "Bad message"
        case .EOVERFLOW: "Value too large for defined data type"
        case .EMSGSIZE: "Message too long"
        case .EPROTONOSUPPORT: "Protocol not supported"
        case .EOPNOTSUPP: "Operation not supported"
        case .ECONNREFUSED: "Connection refused"
        case .EHOSTDOWN: "Host is down"
        case .ETIMEDOUT: "Connection timed out"
        case .ECANCELED: "Operation canceled"
        }
    }
}

/// Which kind of failure a reply reports. The wire form is the raw string.
public enum ErrorKind: String, Sendable, CaseIterable, Codable {
    case decode        // the frame could not be decoded
    case version       // unsupported protocol version
    case routing       // no route to the object's shard
    case busy          // a queue or in-flight limit is full (retryable)
    case noscript      // exec by sha: the worker does not have that script
    case compile       // the Lua script did not compile
    case runtime       // a Lua runtime error
    case handler       // the handler is missing or not a function
    case unregistered  // the handler function was never passed to cls.register
    case cls           // a cls.* call failed and nothing caught it
    case rc            // the handler returned a negative rc itself
    case timeout       // instruction/time budget or deadline exceeded
    case memory        // Lua memory cap exceeded
    case overflow      // output cap exceeded
    case readonly      // a write in a read-only request
    case storage       // the store failed (I/O, disk full, corruption)
    case op            // a primitive op failed (ENOENT, EEXIST, ...)
    case invalid       // an argument is invalid (bad spec, bad size...)
    case limit         // a configured bound was exceeded (object size, script size...)
    case image         // an image could not be decoded or processed
    case auth          // not allowed
    case poison        // the request lost its worker on two distinct slots: the broker will not dispatch it again
    case bug           // a bug: logged by the worker
}

/// An error that knows its wire form: every error that reaches a reply conforms.
public protocol ResultCodeError: Error {
    var rc: Int32 { get }
    var kind: ErrorKind { get }
    var message: String { get }
    var line: Int? { get }
}

extension ResultCodeError {
    public var line: Int? { nil }
    public var info: ErrorInfo { ErrorInfo(kind: kind, message: message, line: line) }
}

/// The general Sepia failure: an errno, a kind and a message.
public struct SepiaError: ResultCodeError, Equatable, CustomStringConvertible {
    public var rc: Int32
    public var kind: ErrorKind
    public var message: String
    public var line: Int?

    public init(_ errno: Errno, _ kind: ErrorKind, _ message: String? = nil, line: Int? = nil) {
        self.rc = errno.rc
        self.kind = kind
        self.message = message ?? errno.message
        self.line = line
    }

    public init(rc: Int32, kind: ErrorKind, message: String, line: Int? = nil) {
        self.rc = rc
        self.kind = kind
        self.message = message
        self.line = line
    }

    public var description: String {
        let name = Errno(code: rc)?.name ?? "E?"
        let where_ = line.map { " (line \($0))" } ?? ""
        return "\(name) (\(rc)) \(kind.rawValue): \(message)\(where_)"
    }
}
