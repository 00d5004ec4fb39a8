// What host functions need to know about the call in progress.
import CLuaJIT
import Codec
import Storage

/// The running call, as the host functions see it (through `LuaRuntime.current`).
final class CallState {
    let object: any ObjectAccess
    let context: CallContext
    /// Cap on the output bufferlist (0: none).
    let outputLimit: UInt64
    /// The reply bufferlist, kept alive on the Lua stack for the whole call.
    var output: UnsafeMutablePointer<sepia_bl>?
    /// Primitive ops applied so far (cls.current_subop_num).
    private(set) var subops = 0
    private(set) var logs: [String] = []

    init(object: any ObjectAccess, context: CallContext, outputLimit: UInt64) {
        self.object = object
        self.context = context
        self.outputLimit = outputLimit
    }

    /// Applies one primitive op to the request's transaction. A read-only context refuses
    /// writes here already, so no write reaches storage.
    func apply(_ op: Op) throws(SepiaError) -> OpResult {
        subops += 1
        if context.readOnly && !op.isPrimitiveRead {
            throw SepiaError(.EROFS, .readonly)
        }
        return try object.apply(op)
    }

    /// Bytes of log text one call may write (cls.log and print together), and one request
    /// (all its ops together); a line is cut at `maxLogLineBytes`. Past the budget lines are
    /// dropped and one notice says how many, so a script cannot fill the worker's disk through
    /// its log. The worker's log is also rate limited per process (`LogRateLimit`).
    static let maxLogBytesPerCall = 64 << 10
    static let maxLogBytesPerRequest = 256 << 10
    static let maxLogLineBytes = 4 << 10
    /// Log bytes this call may still write: the per-call cap or what the request has left.
    private lazy var logBudget = max(0, min(Self.maxLogBytesPerCall, Self.maxLogBytesPerRequest - context.logBytesSpent))
    private(set) var loggedBytes = 0
    private var droppedLines = 0

    /// A cls.log / print line: to the worker's log always, into the reply when asked.
    func log(level: Int, message: String, source: LogRecord.Source) {
        var line = message
        if line.utf8.count > Self.maxLogLineBytes {
            line = String(decoding: line.utf8.prefix(Self.maxLogLineBytes), as: UTF8.self) + "… (line cut at \(Self.maxLogLineBytes) bytes)"
        }
        guard loggedBytes + line.utf8.count <= logBudget else {
            droppedLines += 1
            return
        }
        loggedBytes += line.utf8.count
        emit(level: level, line, source: source)
    }

    /// Ends the call's log: one notice if lines were dropped over the budget.
    func finishLog() {
        if droppedLines > 0 {
            emit(level: 0, "log limit: \(droppedLines) lines dropped past \(Self.maxLogBytesPerCall) bytes a call"
                 + " or \(Self.maxLogBytesPerRequest) bytes a request", source: .log)
            droppedLines = 0
        }
        if let notice = LogRateLimit.process.pendingNotice() { record(level: 0, notice, source: .log) }
    }

    private func emit(level: Int, _ line: String, source: LogRecord.Source) {
        let (admitted, notice) = LogRateLimit.process.admit(line.utf8.count)
        if let notice { record(level: 0, notice, source: .log) }
        if admitted { record(level: level, line, source: source) }
        if context.wantLogs { logs.append(line) }
    }

    /// One line to the worker's log.
    private func record(level: Int, _ line: String, source: LogRecord.Source) {
        context.log(LogRecord(requestId: context.requestId, level: level, message: line, source: source))
    }
}
