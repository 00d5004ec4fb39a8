// The Swift client library: async calls over one connection, many requests in flight,
// per-request timeouts, retries of retryable failures reusing the request id, and the
// transparent script-sha cache.
import Codec
import Crypto
import Foundation
import Synchronization

public struct ClientOptions: Sendable {
    /// The broker's client endpoint.
    public var endpoint: String
    /// How long one attempt waits for its reply.
    public var timeout: Duration = .seconds(30)
    /// Further attempts after a retryable failure (time-out, worker lost, EBUSY, EAGAIN).
    public var retries: Int = 5
    /// First backoff; doubles per attempt, with full jitter, capped at `maxBackoff`.
    public var backoff: Duration = .milliseconds(50)
    public var maxBackoff: Duration = .seconds(2)
    public var curve: CurveClientKeys?
    public var maxFrameBytes: Int = 64 << 20

    public init(endpoint: String) { self.endpoint = endpoint }
}

/// Options of one request.
public struct RequestOptions: Sendable {
    public var readOnly = false
    public var wantLogs = false
    /// Benchmarks: the worker answers at once without running anything.
    public var echo = false
    public var durability: Durability?
    public var limits = CallLimits()
    /// Overrides the client's per-attempt timeout.
    public var timeout: Duration?
    public init(readOnly: Bool = false, wantLogs: Bool = false, echo: Bool = false, durability: Durability? = nil,
                limits: CallLimits = CallLimits(), timeout: Duration? = nil) {
        self.echo = echo
        self.readOnly = readOnly
        self.wantLogs = wantLogs
        self.durability = durability
        self.limits = limits
        self.timeout = timeout
    }
}

/// A connection to a Sepia cluster. Thread-safe; keep one per process and share it.
public final class SepiaClient: Sendable {
    public let options: ClientOptions
    /// This client's identity: with a request id, the key of the exactly-once record.
    public let clientID: Bytes
    private let connection: Connection
    private let nextID = Atomic<UInt64>(1)
    private let knownScripts = Mutex<Set<Bytes>>([])
    private let retryCount = Atomic<Int>(0)

    public init(options: ClientOptions) throws(ClientError) {
        self.options = options
        var id = Bytes(repeating: 0, count: 16)
        for i in id.indices { id[i] = UInt8.random(in: 0...255) }
        clientID = id
        connection = try Connection(endpoint: options.endpoint, curve: options.curve, maxFrameBytes: options.maxFrameBytes)
    }

    deinit { connection.close() }

    public func close() { connection.close() }

    /// Retries made so far (for summaries and tests).
    public var retries: Int { retryCount.load(ordering: .relaxed) }

    /// A fresh request id.
    public func makeRequestID() -> UInt64 { nextID.wrappingAdd(1, ordering: .relaxed).oldValue }

    // MARK: - The general call

    /// Sends ops on one object as one transaction and returns the reply, whatever its rc.
    /// Throws only when no reply came back (time-out after all retries, closed client).
    /// Retryable replies (EBUSY, EAGAIN, worker lost) are retried with backoff and jitter
    /// under the same request id, so a request that did commit is never applied twice.
    /// `shard` routes to a shard instead of the object's (listing).
    public func send(oid: Bytes, ops: [Op], options request: RequestOptions = RequestOptions(),
                     id: UInt64? = nil, shard: UInt32? = nil) async throws(ClientError) -> Reply {
        let id = id ?? makeRequestID()
        var flags: RequestFlags = []
        if request.readOnly { flags.insert(.readOnly) }
        if request.wantLogs { flags.insert(.wantLogs) }
        if request.echo { flags.insert(.echo) }
        let timeout = request.timeout ?? options.timeout
        let sourceOps = ops
        var ops = ops
        var sentShaOnly = false
        // Scripts the workers have probably cached travel as their sha alone.
        for (i, op) in ops.enumerated() {
            if case .exec(.source(let source), let handler, let input) = op, source.count > 64 {
                let sha = Self.sha256(source)
                if knownScripts.withLock({ $0.contains(sha) }) {
                    ops[i] = .exec(script: .sha(sha), handler: handler, input: input)
                    sentShaOnly = true
                }
            }
        }
        var attempt = 0
        var backoff = options.backoff
        let started = ContinuousClock.now
        while true {
            attempt += 1
            let body = Request(client: clientID, id: id, oid: oid, ops: ops, flags: flags,
                               timeoutMillis: UInt64(timeout.wholeMilliseconds), durability: request.durability,
                               limits: request.limits, shard: shard).encode()
            let outcome = await roundTrip(id: id, body: body, timeout: timeout)
            switch outcome {
            case .success(let bytes):
                let reply: Reply
                do {
                    reply = try Reply.decode(bytes, limits: DecodeLimits(maxFrameBytes: options.maxFrameBytes))
                } catch {
                    return Reply(id: id, failure: error)
                }
                if reply.error?.kind == .noscript, sentShaOnly {
                    // The worker lost or never had the script: send the source, same id.
                    ops = sourceOps
                    sentShaOnly = false
                    attempt -= 1
                    continue
                }
                if reply.rc >= 0 { rememberScripts(in: ops) }
                if Self.isRetryable(reply), attempt <= options.retries {
                    retryCount.wrappingAdd(1, ordering: .relaxed)
                    try await pause(&backoff)
                    continue
                }
                return reply
            case .failure(.timedOut):
                if attempt <= options.retries {
                    retryCount.wrappingAdd(1, ordering: .relaxed)
                    try await pause(&backoff)
                    continue
                }
                throw .timedOut(requestID: id, after: ContinuousClock.now - started, attempts: attempt)
            case .failure(let error):
                throw error
            }
        }
    }

    /// EBUSY / EAGAIN / a lost route: the request did not run, or its record makes a rerun safe.
    public static func isRetryable(_ reply: Reply) -> Bool {
        reply.rc == Errno.EBUSY.rc || reply.rc == Errno.EAGAIN.rc
            || (reply.error?.kind == .routing && reply.rc < 0)
    }

    private func pause(_ backoff: inout Duration) async throws(ClientError) {
        let jittered = Duration.nanoseconds(Int64.random(in: 0...max(1, backoff.wholeNanoseconds)))
        do { try await Task.sleep(for: jittered) } catch { throw .closed }
        backoff = min(backoff * 2, options.maxBackoff)
    }

    private func roundTrip(id: UInt64, body: Bytes, timeout: Duration) async -> Result<Bytes, ClientError> {
        await withCheckedContinuation { continuation in
            connection.submit(id: id, body: body, timeout: timeout) { continuation.resume(returning: $0) }
        }
    }

    // MARK: - Script cache

    static func sha256(_ bytes: Bytes) -> Bytes { Bytes(SHA256.hash(data: bytes)) }

    private func rememberScripts(in ops: [Op]) {
        for op in ops {
            if case .exec(.source(let source), _, _) = op, source.count > 64 {
                let sha = Self.sha256(source)
                knownScripts.withLock { _ = $0.insert(sha) }
            }
        }
    }

    // MARK: - Admin

    /// The broker's status document (JSON).
    public func status(timeout: Duration? = nil) async throws(ClientError) -> Bytes {
        let result = await withCheckedContinuation { continuation in
            connection.submitAdmin(body: Array(#"{"command":"status"}"#.utf8), timeout: timeout ?? options.timeout) {
                continuation.resume(returning: $0)
            }
        }
        return try result.get()
    }
}
