// One call of a compiled chunk: fresh environment, top level, handler lookup and
// registration check, handler(input, output), rc rules, and the mapping of every failure
// to an rc and an error kind (docs/scripting.md "One call"). The state is reset afterwards, so an
// aborted call leaves nothing behind for the next one.
import CLuaJIT
import Codec
import Storage

extension LuaRuntime {
    /// Effective per-call limits: the config, lowered by the request (0 = none).
    struct Limits {
        var instructions: UInt64
        var millis: UInt64?
        var memory: UInt64
        var output: UInt64
    }

    func limits(for context: CallContext) -> Limits {
        func lowest(_ configured: UInt64, _ requested: UInt64?) -> UInt64 {
            guard let requested else { return configured }
            return configured == 0 ? requested : min(configured, requested)
        }
        var millis: UInt64? = config.timeLimitMillis == 0 ? nil : config.timeLimitMillis
        if let remaining = context.remainingMillis { millis = min(millis ?? remaining, remaining) }
        // The instruction limit bounds the request: this call gets what earlier ops left, and
        // at least 1, so a spent budget aborts at the first hook step (as a spent time does).
        var instructions = lowest(config.instructionLimit, context.limits.instructions)
        if instructions != 0 {
            instructions = instructions > context.instructionsSpent ? instructions - context.instructionsSpent : 1
        }
        return Limits(instructions: instructions,
                      millis: millis,
                      memory: lowest(config.memoryLimitBytes, context.limits.memoryBytes),
                      output: lowest(config.outputLimitBytes, context.limits.outputBytes))
    }

    /// Stack layout during a call: 1 environment, 2 input, 3 output, then the handler.
    func run(chunk: Int32, handler: String, input: Bytes, object: any ObjectAccess,
             context: CallContext) -> CallOutcome {
        let limits = limits(for: context)
        let call = CallState(object: object, context: context, outputLimit: limits.output)
        current = call
        defer { endCall() }
        let registry = sepia_lua_registryindex()

        reseedRandom()
        lua_settop(L, 0)
        lua_rawgeti(L, registry, plainTemplateRef)
        lua_rawgeti(L, registry, environmentIndexRef)
        sepia_lua_new_env(L, 1, 2, 32)
        lua_replace(L, 1)
        lua_settop(L, 1)
        lua_pushvalue(L, 1)
        lua_rawseti(L, registry, ctx.pointee.env_ref)
        lua_createtable(L, 0, 4)
        lua_rawseti(L, registry, registeredRef)
        Lua.pushBufferlist(L, input)
        call.output = sepia_bl_push_new(L)

        ctx.pointee.abort = Int32(SEPIA_ABORT_NONE)
        // A Lua error that ever escaped through a host function's Swift frame would have left
        // host_depth raised, and the allocator refuses nothing while it is: never trust it.
        ctx.pointee.host_depth = 0
        sepia_lua_arm_stack(ctx)
        ctx.pointee.instructions = 0
        ctx.pointee.instruction_limit = limits.instructions
        ctx.pointee.deadline_ns = limits.millis.map { millis in
            let (span, tooLong) = millis.multipliedReportingOverflow(by: 1_000_000)
            let (deadline, pastEnd) = sepia_now_ns().addingReportingOverflow(span)
            return tooLong || pastEnd ? 0 : deadline   // beyond the clock's range: no deadline
        } ?? 0
        // Capped at half the address space so the sums below cannot overflow.
        let memory = Int(min(limits.memory, UInt64(Int.max / 2)))
        ctx.pointee.limit = memory == 0 ? 0 : ctx.pointee.used + memory
        ctx.pointee.gc_threshold = memory == 0 ? 0 : ctx.pointee.used + memory / 4 * 3

        // The top level: cls.* works here and its writes belong to the call.
        lua_rawgeti(L, registry, chunk)
        lua_pushvalue(L, 1)
        lua_setfenv(L, -2)
        if let failure = protectedCall(arguments: 0) { return outcome(failure, call) }
        lua_settop(L, 3)
        if handler.isEmpty { return outcome(rc: 0, call) }

        Lua.pushString(L, handler)
        lua_rawget(L, 1)
        guard lua_type(L, -1) == LUA_TFUNCTION else {
            return outcome(SepiaError(.EOPNOTSUPP, .handler, "handler '\(handler)' is not a function"), call)
        }
        lua_rawgeti(L, registry, registeredRef)
        lua_pushvalue(L, 4)
        lua_rawget(L, -2)
        let registered = lua_toboolean(L, -1) != 0
        lua_settop(L, 4)
        guard registered else {
            return outcome(SepiaError(.EIO, .unregistered, "handler '\(handler)' was not registered with cls.register"), call)
        }
        lua_pushvalue(L, 2)
        lua_pushvalue(L, 3)
        if let failure = protectedCall(arguments: 2) { return outcome(failure, call) }
        return outcome(returnCode(from: 4), call)
    }

    /// Calls the function below `arguments` values in protected mode with the limits armed.
    /// Returns nil on success (results left on the stack).
    private func protectedCall(arguments: Int32) -> SepiaError? {
        ctx.pointee.enforce = 1
        let status = lua_pcall(L, arguments, LUA_MULTRET, 0)
        ctx.pointee.enforce = 0
        return status == 0 ? nil : failure(status: status)
    }

    /// rc rule 5: the handler's LAST return value.
    private func returnCode(from base: Int32) -> Result<Int32, SepiaError> {
        let top = lua_gettop(L)
        guard top >= base else { return .success(0) }
        let type = lua_type(L, top)
        if type == LUA_TNUMBER || (type == LUA_TSTRING && lua_isnumber(L, top) != 0) {
            let value = lua_tonumber(L, top)
            guard value.isFinite else { return .success(0) }
            let wide = Int64(max(-9.2e18, min(9.2e18, value)))
            return .success(Int32(truncatingIfNeeded: wide))
        }
        return .failure(SepiaError(.EIO, .runtime, "handler returned a \(Lua.typeName(L, top)), not a number"))
    }

    /// The error of a failed protected call, by precedence: an abort, a cls failure, a plain
    /// Lua error.
    private func failure(status: Int32) -> SepiaError {
        switch ctx.pointee.abort {
        case Int32(SEPIA_ABORT_TIMEOUT):
            return SepiaError(.ETIMEDOUT, .timeout, "instruction or time budget exceeded")
        case Int32(SEPIA_ABORT_MEMORY):
            return SepiaError(.ENOMEM, .memory, "memory limit exceeded")
        case Int32(SEPIA_ABORT_OVERFLOW):
            return SepiaError(.EOVERFLOW, .overflow, "output limit exceeded")
        case Int32(SEPIA_ABORT_DEPTH):
            return SepiaError(.E2BIG, .limit, "C call nesting too deep (callbacks calling back into the library)")
        default: break
        }
        if status == LUA_ERRMEM { return SepiaError(.ENOMEM, .memory, "not enough memory") }
        let err = sepia_lua_cls_errno(L, -1)
        if err != 0 {
            lua_rawgeti(L, -1, 2)
            let message = Lua.text(L, -1)
            lua_rawgeti(L, -2, 3)
            let line = lua_type(L, -1) == LUA_TSTRING ? Self.line(in: Lua.text(L, -1)) : nil
            let errno = Errno(code: err) ?? .EIO
            return SepiaError(errno, errno == .EROFS ? .readonly : .cls, message, line: line)
        }
        if lua_type(L, -1) == LUA_TSTRING {
            let message = Lua.text(L, -1)
            return SepiaError(.EIO, .runtime, message, line: Self.line(in: message))
        }
        return SepiaError(.EIO, .runtime, "error object is a \(Lua.typeName(L, -1)) value")
    }

    private func outcome(_ failure: SepiaError, _ call: CallState) -> CallOutcome {
        outcome(.failure(failure), call)
    }

    private func outcome(rc: Int32, _ call: CallState) -> CallOutcome {
        outcome(.success(rc), call)
    }

    private func outcome(_ result: Result<Int32, SepiaError>, _ call: CallState) -> CallOutcome {
        call.finishLog()
        var outcome = plainOutcome(result, call)
        outcome.instructions = ctx.pointee.instructions
        outcome.logBytes = call.loggedBytes
        return outcome
    }

    private func plainOutcome(_ result: Result<Int32, SepiaError>, _ call: CallState) -> CallOutcome {
        let output = call.output.map(Lua.bytes(of:)) ?? []
        if call.outputLimit != 0, output.count > call.outputLimit {
            return CallOutcome(SepiaError(.EOVERFLOW, .overflow, "output limit exceeded"),
                               output: Bytes(output.prefix(Int(call.outputLimit))), logs: call.logs)
        }
        switch result {
        case .success(let rc) where rc < 0:
            return CallOutcome(rc: rc, output: output,
                               error: ErrorInfo(kind: .rc, message: "handler returned \(rc)"), logs: call.logs)
        case .success(let rc):
            return CallOutcome(rc: rc, output: output, logs: call.logs)
        case .failure(let error):
            return CallOutcome(error, output: output, logs: call.logs)
        }
    }

    /// math.random's state lives in the VM, shared by every call: each call starts from a
    /// fresh seed, so one client's math.randomseed never shapes another's numbers.
    private func reseedRandom() {
        lua_settop(L, 0)
        sepia_lua_getglobal(L, "math")
        lua_getfield(L, -1, "randomseed")
        lua_pushnumber(L, Double(UInt32.random(in: 0...UInt32.max)))
        lua_call(L, 1, 0)  // a number argument: randomseed cannot raise
        lua_settop(L, 0)
    }

    /// Leaves the state as a fresh call expects it, whatever the last call did.
    private func endCall() {
        let aborted = ctx.pointee.abort != Int32(SEPIA_ABORT_NONE)
        ctx.pointee.enforce = 0
        ctx.pointee.abort = Int32(SEPIA_ABORT_NONE)
        ctx.pointee.host_depth = 0
        ctx.pointee.limit = 0
        ctx.pointee.gc_threshold = 0
        ctx.pointee.instruction_limit = 0
        ctx.pointee.deadline_ns = 0
        let registry = sepia_lua_registryindex()
        lua_settop(L, 0)
        lua_pushnil(L)
        lua_rawseti(L, registry, ctx.pointee.env_ref)
        lua_pushnil(L)
        lua_rawseti(L, registry, registeredRef)
        // collectgarbage("stop"/"setpause", ...) must not outlive the call.
        lua_gc(L, LUA_GCRESTART, 0)
        lua_gc(L, LUA_GCSETPAUSE, 200)
        lua_gc(L, LUA_GCSETSTEPMUL, 200)
        // Images the call dropped hold their pixels until collected (see ImageBox.live).
        if aborted || ImageBox.live.load(ordering: .relaxed) > 0 { lua_gc(L, LUA_GCCOLLECT, 0) }
        current?.output = nil
        current = nil
    }
}
