// The worker-wide settings of the Lua runtime. A request can only lower the limits
// (CallContext.limits / remainingMillis), never raise them.

/// Settings of one `LuaRuntime`. Zero means "no limit" for every limit. The defaults are the
/// documented ones (lua.* in config/sepia.yaml; a test keeps them equal).
public struct ScriptingConfig: Sendable, Equatable {
    /// Lua VM instructions one call may execute (counted in steps of 1000) → -ETIMEDOUT.
    public var instructionLimit: UInt64
    /// Wall-clock milliseconds one call may run → -ETIMEDOUT.
    public var timeLimitMillis: UInt64
    /// Bytes one call may add to the Lua state's memory → -ENOMEM.
    public var memoryLimitBytes: UInt64
    /// Bytes of handler output → -EOVERFLOW.
    public var outputLimitBytes: UInt64
    /// Compiled scripts kept by SHA-256 (LRU).
    public var scriptCacheEntries: Int
    /// VM bytes the cached compiled scripts may cost together (LRU evicts past it).
    public var scriptCacheBytes: Int
    /// Largest script source accepted → -E2BIG (kind `.limit`).
    public var maxScriptBytes: Int
    /// Folder of `*.lua` class files (`name.lua` is class `name`); nil: none.
    public var classesDirectory: String?

    public init(instructionLimit: UInt64 = 100_000_000, timeLimitMillis: UInt64 = 5_000,
                memoryLimitBytes: UInt64 = 64 << 20, outputLimitBytes: UInt64 = 16 << 20,
                scriptCacheEntries: Int = 256, scriptCacheBytes: Int = 64 << 20, maxScriptBytes: Int = 1 << 20,
                classesDirectory: String? = nil) {
        self.instructionLimit = instructionLimit
        self.timeLimitMillis = timeLimitMillis
        self.memoryLimitBytes = memoryLimitBytes
        self.outputLimitBytes = outputLimitBytes
        self.scriptCacheEntries = scriptCacheEntries
        self.scriptCacheBytes = scriptCacheBytes
        self.maxScriptBytes = maxScriptBytes
        self.classesDirectory = classesDirectory
    }
}
