// What a client call can fail with, carrying rc, kind and message like a reply does.
import Foundation
import Codec

public enum ClientError: Error, ResultCodeError, CustomStringConvertible, Sendable {
    /// No reply within the timeout (after all retries).
    case timedOut(requestID: UInt64, after: Duration, attempts: Int)
    /// The request failed on the cluster: the reply's rc and error.
    case failed(Reply)
    /// The connection could not be set up (bad endpoint, bad keys).
    case connection(String)
    /// The client was closed.
    case closed

    public var rc: Int32 {
        switch self {
        case .timedOut: Errno.ETIMEDOUT.rc
        case .failed(let reply): reply.rc
        case .connection: Errno.ECONNREFUSED.rc
        case .closed: Errno.ECANCELED.rc
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .timedOut: .timeout
        case .failed(let reply): reply.error?.kind ?? .op
        case .connection: .routing
        case .closed: .bug
        }
    }

    public var message: String {
        switch self {
        case .timedOut(_, let after, let attempts):
            "no reply from the broker after \(after.formattedSeconds) (\(attempts) attempt\(attempts == 1 ? "" : "s")); is the cluster running?"
        case .failed(let reply): reply.error?.message ?? (Errno(code: reply.rc)?.message ?? "failed")
        case .connection(let why): why
        case .closed: "the client is closed"
        }
    }

    public var line: Int? {
        if case .failed(let reply) = self { return reply.error?.line }
        return nil
    }

    /// `ENOENT (-2) op: No such file or directory`, with the Lua line when known.
    public var description: String {
        let name = Errno(code: rc)?.name ?? "E?"
        let at = line.map { " at line \($0)" } ?? ""
        return "\(name) (\(rc)) \(kind.rawValue): \(message)\(at)"
    }
}

extension Duration {
    var formattedSeconds: String {
        let value = inSeconds
        return value < 1 ? "\(Int(value * 1000)) ms" : String(format: "%.1f s", value)
    }
}
