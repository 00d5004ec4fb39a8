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

    /// A cls.log / print line: to the worker's log always, into the reply when asked.
    func log(level: Int, message: String, source: LogRecord.Source) {
        context.log(LogRecord(requestId: context.requestId, level: level, message: message, source: source))
        if context.wantLogs { logs.append(message) }
    }
}
