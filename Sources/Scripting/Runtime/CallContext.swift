// What the worker tells the runtime about one call, and what the runtime answers.
import Codec

/// One line written by `cls.log` or `print` during a call.
public struct LogRecord: Sendable, Equatable {
    public enum Source: String, Sendable { case log, print }
    public var requestId: UInt64
    public var level: Int
    public var message: String
    public var source: Source
    public init(requestId: UInt64, level: Int, message: String, source: Source) {
        self.requestId = requestId
        self.level = level
        self.message = message
        self.source = source
    }
}

/// The request-level facts a call runs under.
public struct CallContext: Sendable {
    public var requestId: UInt64
    /// Lowers the configured limits for this request.
    public var limits: CallLimits
    /// Milliseconds the client still waits (the request's remaining deadline); nil: none.
    public var remainingMillis: UInt64?
    /// Lua instructions the request's earlier ops ran: the instruction limit bounds the
    /// REQUEST, so this call gets what they left (at least one hook step, which then aborts).
    public var instructionsSpent: UInt64
    /// Log bytes the request's earlier ops wrote: the per-request log cap is shared by them.
    public var logBytesSpent: Int
    /// Every cls write fails with EROFS (the ObjectAccess enforces it too).
    public var readOnly: Bool
    /// Return the call's log lines in `CallOutcome.logs`.
    public var wantLogs: Bool
    /// The worker's log: receives every cls.log / print line, tagged with the request id.
    public var log: @Sendable (LogRecord) -> Void

    public init(requestId: UInt64 = 0, limits: CallLimits = CallLimits(),
                remainingMillis: UInt64? = nil, instructionsSpent: UInt64 = 0, logBytesSpent: Int = 0,
                readOnly: Bool = false, wantLogs: Bool = false,
                log: @escaping @Sendable (LogRecord) -> Void = { _ in }) {
        self.requestId = requestId
        self.limits = limits
        self.remainingMillis = remainingMillis
        self.instructionsSpent = instructionsSpent
        self.logBytesSpent = logBytesSpent
        self.readOnly = readOnly
        self.wantLogs = wantLogs
        self.log = log
    }
}

/// The result of one exec/call.
///
/// The runtime never commits: the CALLER (the worker) commits the object's transaction iff
/// `rc >= 0` and discards it otherwise — top-level writes included.
public struct CallOutcome: Sendable, Equatable {
    /// 0 or positive: success (a handler's positive rc passes through); negative: -errno.
    public var rc: Int32
    /// The output bufferlist's bytes, returned in every case, also when rc < 0.
    public var output: Bytes
    /// Set when rc < 0: why.
    public var error: ErrorInfo?
    /// The call's log lines, when the context asked for them.
    public var logs: [String]
    /// Lua instructions the call ran (counted per hook step), for the request's budget.
    public var instructions: UInt64 = 0
    /// Log bytes the call wrote (within the caps), for the request's log cap.
    public var logBytes: Int = 0

    public init(rc: Int32, output: Bytes = [], error: ErrorInfo? = nil, logs: [String] = []) {
        self.rc = rc
        self.output = output
        self.error = error
        self.logs = logs
    }

    /// A failure before or outside any Lua code ran.
    init(_ failure: SepiaError, output: Bytes = [], logs: [String] = []) {
        self.init(rc: failure.rc, output: output, error: failure.info, logs: logs)
    }

    public var succeeded: Bool { rc >= 0 }
}
