// The Lua object-class runtime: one LuaJIT state, the script cache, the installed classes,
// and the two entry points (exec, call). Redis-style: few entry points, compiled chunks kept
// in the VM, the sandbox built once from an allow-list (Sandbox.swift).
import CLuaJIT
import Codec
import Storage

/// The Lua object-class runtime of one worker thread.
///
/// Not `Sendable` on purpose: a `lua_State` must never be touched by two threads, so each
/// worker thread creates its own runtime and keeps it (a request never changes thread).
///
/// The runtime never commits: it applies ops to the `ObjectAccess` it is given, and the
/// caller commits that transaction iff the outcome's `rc >= 0` and discards it otherwise.
public final class LuaRuntime {
    public let config: ScriptingConfig
    let L: LuaState
    let ctx: UnsafeMutablePointer<sepia_lua_ctx>
    var cache: ScriptCache
    /// Lua classes from `classesDirectory`: name → registry reference of the chunk (pinned).
    var luaClasses: [String: Int32] = [:]
    /// Native Swift classes: name → class.
    var nativeClasses: [String: NativeClass] = [:]
    /// Registry slots: sandbox templates and the per-call registered-handler set.
    var plainTemplateRef: Int32 = 0
    var libsTemplateRef: Int32 = 0
    /// The environments' __index closure (sepia_lua_env_index over the libs template).
    var environmentIndexRef: Int32 = 0
    var registeredRef: Int32 = 0
    /// The call in progress, read by host functions.
    var current: CallState?

    public init(config: ScriptingConfig) {
        self.config = config
        self.cache = ScriptCache(capacity: config.scriptCacheEntries, capacityBytes: config.scriptCacheBytes)
        ctx = UnsafeMutablePointer<sepia_lua_ctx>.allocate(capacity: 1)
        ctx.initialize(to: sepia_lua_ctx())
        guard let state = sepia_lua_newstate(ctx) else {
            fatalError("lua_newstate failed: out of memory")
        }
        L = state
        buildSandbox()
        for cls in NativeClass.builtIn { nativeClasses[cls.name] = cls }
    }

    deinit {
        lua_close(L)
        ctx.deinitialize(count: 1)
        ctx.deallocate()
    }

    /// Bytes the Lua state holds now (chunks, caches, live objects).
    public var memoryInUse: Int { ctx.pointee.used }

    public var cacheStats: ScriptCacheStats { cache.stats }

    static func from(_ L: OpaquePointer?) -> LuaRuntime {
        Unmanaged<LuaRuntime>.fromOpaque(sepia_lua_host_runtime(L)!).takeUnretainedValue()
    }

    /// The pointer host closures carry as their second upvalue. Unretained: the state dies
    /// with the runtime, so no closure can outlive it.
    var opaqueSelf: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    // MARK: entry points

    /// Runs `handler` of a script (source or cached SHA-256) on one object.
    ///
    /// An unknown `.sha` gives rc -ENOEXEC with kind `.noscript`: the client resends with the
    /// source. A source larger than `maxScriptBytes` gives -E2BIG, kind `.limit`.
    public func exec(script: ScriptRef, handler: String, input: Bytes, object: any ObjectAccess,
                     context: CallContext) -> CallOutcome {
        let chunk: Int32
        switch script {
        case .source(let source):
            switch compileCached(source) {
            case .success(let ref): chunk = ref
            case .failure(let error): return CallOutcome(error)
            }
        case .sha(let sha):
            if let ref = cache.lookup(sha) {
                chunk = ref
            } else if let source = SharedSourceCache.process.lookup(sha) {
                // Another thread of this process has had the source: compile it here.
                switch compileIntoCache(source, sha: sha) {
                case .success(let ref): chunk = ref
                case .failure(let error): return CallOutcome(error)
                }
            } else {
                return CallOutcome(SepiaError(.ENOEXEC, .noscript, "no cached script with this sha256; send the source"))
            }
        }
        return run(chunk: chunk, handler: handler, input: input, object: object, context: context)
    }

    /// Calls `method` of an installed class: a native Swift class or a Lua class file.
    /// An unknown class or method gives -EOPNOTSUPP, kind `.handler`.
    public func call(className: String, method: String, input: Bytes, object: any ObjectAccess,
                     context: CallContext) -> CallOutcome {
        if let native = nativeClasses[className] {
            return native.call(method: method, input: input, object: object, context: context)
        }
        if let chunk = luaClasses[className] {
            return run(chunk: chunk, handler: method, input: input, object: object, context: context)
        }
        return CallOutcome(SepiaError(.EOPNOTSUPP, .handler, "no class '\(className)'"))
    }

    // MARK: compiling

    private func compileCached(_ source: Bytes) -> Result<Int32, SepiaError> {
        guard source.count <= config.maxScriptBytes else {
            return .failure(SepiaError(.E2BIG, .limit, "script is \(source.count) bytes, the limit is \(config.maxScriptBytes)"))
        }
        let sha = ScriptCache.sha256(source)
        if let ref = cache.lookup(sha) { return .success(ref) }
        SharedSourceCache.process.insert(sha, source: source)
        return compileIntoCache(source, sha: sha)
    }

    /// Compiles a source known to be missing from this runtime's cache, and caches it.
    ///
    /// The chunk's cost is what the state grew by while compiling, measured with the collector
    /// stopped: a collection step during the compile would free garbage of earlier calls (the
    /// chunks evicted last time, say) and hide the new chunk's size, so the cache would keep
    /// more than its byte bound (seen: 9-10 MB held under a 4 MB bound, depending on where the
    /// collector's cycle stood).
    private func compileIntoCache(_ source: Bytes, sha: Bytes) -> Result<Int32, SepiaError> {
        lua_gc(L, LUA_GCSTOP, 0)
        defer { lua_gc(L, LUA_GCRESTART, 0) }
        let before = ctx.pointee.used
        return compile(source, chunkName: "=script").map { ref in
            let cost = ctx.pointee.used > before ? ctx.pointee.used - before : 0
            for old in cache.insert(sha, ref: ref, bytes: cost) { luaL_unref(L, sepia_lua_registryindex(), old) }
            return ref
        }
    }

    /// Compiles text (never bytecode) and keeps the function in the registry.
    func compile(_ source: Bytes, chunkName: String) -> Result<Int32, SepiaError> {
        lua_settop(L, 0)
        let status = source.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) {
                luaL_loadbufferx(L, $0.baseAddress, $0.count, chunkName, "t")
            }
        }
        guard status == 0 else {
            let message = Lua.text(L, -1)
            lua_settop(L, 0)
            return .failure(SepiaError(.EIO, .compile, message, line: Self.line(in: message)))
        }
        return .success(luaL_ref(L, sepia_lua_registryindex()))
    }

    /// The line number in "chunk:LINE: message", if any.
    static func line(in message: String) -> Int? {
        var rest = Substring(message)
        while let colon = rest.firstIndex(of: ":") {
            rest = rest[rest.index(after: colon)...]
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            if !digits.isEmpty, rest.dropFirst(digits.count).first == ":" { return Int(digits) }
        }
        return nil
    }
}
