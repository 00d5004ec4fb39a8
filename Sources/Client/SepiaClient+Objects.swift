// Typed calls for the common operations. Each is one request (one transaction).
import Codec

/// The result of an exec or class call: returned whatever the rc (a negative rc is an
/// answer, not a transport failure).
public struct CallResult: Sendable, Equatable {
    public var rc: Int32
    public var output: Bytes
    public var error: ErrorInfo?
    public var logs: [String]?

    public init(_ reply: Reply) {
        rc = reply.rc
        error = reply.error
        logs = reply.logs
        output = []
        for result in reply.results {
            if case .output(_, let data) = result { output = data }
        }
    }
}

extension SepiaClient {
    /// Runs `handler` of a Lua script on the object.
    public func exec(oid: Bytes, script: Bytes, handler: String, input: Bytes = [],
                     options: RequestOptions = RequestOptions()) async throws(ClientError) -> CallResult {
        CallResult(try await send(oid: oid, ops: [.exec(script: .source(script), handler: handler, input: input)], options: options))
    }

    /// Calls `className.method` of an installed class on the object.
    public func call(oid: Bytes, className: String, method: String, input: Bytes = [],
                     options: RequestOptions = RequestOptions()) async throws(ClientError) -> CallResult {
        CallResult(try await send(oid: oid, ops: [.call(className: className, method: method, input: input)], options: options))
    }

    /// Sends ops and throws `.failed` when the reply's rc is negative.
    @discardableResult
    public func perform(oid: Bytes, ops: [Op], options: RequestOptions = RequestOptions()) async throws(ClientError) -> [OpResult] {
        let reply = try await send(oid: oid, ops: ops, options: options)
        if reply.rc < 0 { throw .failed(reply) }
        return reply.results
    }

    public func put(oid: Bytes, data: Bytes, options: RequestOptions = RequestOptions()) async throws(ClientError) {
        try await perform(oid: oid, ops: [.writeFull(data: data)], options: options)
    }

    /// The whole object's data. Missing object: throws ENOENT.
    public func get(oid: Bytes) async throws(ClientError) -> Bytes {
        let results = try await perform(oid: oid, ops: [.stat, .read(offset: 0, length: 0)], options: RequestOptions(readOnly: true))
        if case .data(let data)? = results.last { return data }
        return []
    }

    public func stat(oid: Bytes) async throws(ClientError) -> ObjectStat {
        let results = try await perform(oid: oid, ops: [.stat], options: RequestOptions(readOnly: true))
        guard case .stat(let stat)? = results.first else { throw .failed(Reply(id: 0, rc: Errno.EBADMSG.rc)) }
        return stat
    }

    public func remove(oid: Bytes) async throws(ClientError) {
        try await perform(oid: oid, ops: [.remove])
    }
}
