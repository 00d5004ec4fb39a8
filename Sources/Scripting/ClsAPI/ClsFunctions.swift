// The cls/objclass module (docs/scripting.md "Functions"): argument checks with Lua's wording
// (plain errors → -EIO), one primitive op per call through CallState.apply, and storage
// failures raised as cls errors carrying their errno.
import CLuaJIT
import Codec

enum ClsFunctions {
    /// An argument check that already pushed its error: return `rc` (the raise sentinel).
    struct Raised: Error { let rc: Int32 }

    // MARK: plumbing

    /// Runs `body` with the call in progress; a function kept past its call cannot run.
    private static func withCall(_ L: LuaState, _ body: (CallState) -> Int32) -> Int32 {
        guard let call = LuaRuntime.from(L).current else { return Lua.raise(L, "cls: no call in progress") }
        return body(call)
    }

    /// Applies `op`; a failure becomes a cls error whose message is the errno's strerror
    /// text, as in Ceph. `push` pushes the results and returns their count.
    private static func perform(_ L: LuaState, _ op: Op, push: (OpResult) -> Int32 = { _ in 0 }) -> Int32 {
        withCall(L) { call in
            do throws(SepiaError) {
                return push(try call.apply(op))
            } catch {
                return Lua.raise(L, strerror(error))
            }
        }
    }

    private static func strerror(_ error: SepiaError) -> SepiaError {
        guard let errno = Errno(code: error.rc) else { return error }
        return SepiaError(errno, error.kind)
    }

    private static func invalid(_ L: LuaState, _ message: String) -> Int32 {
        Lua.raise(L, SepiaError(.EINVAL, .cls, message))
    }

    /// An unsigned integer argument (numbers and numeric strings); negative → -EINVAL.
    /// Runs argument checks and the op; a failed check has already pushed its error.
    private static func checked(_ body: () throws(Raised) -> Int32) -> Int32 {
        do throws(Raised) { return try body() } catch { return error.rc }
    }

    private static func unsigned(_ L: LuaState, _ index: Int32, _ function: String) throws(Raised) -> UInt64 {
        guard let value = Lua.integer(L, index) else { throw Raised(rc: Lua.argError(L, index, function, "number")) }
        guard value >= 0 else { throw Raised(rc: invalid(L, "\(function): negative argument")) }
        return UInt64(value)
    }

    private static func name(_ L: LuaState, _ index: Int32, _ function: String) throws(Raised) -> Bytes {
        guard let value = Lua.string(L, index) else { throw Raised(rc: Lua.argError(L, index, function, "string")) }
        return value
    }

    private static func data(_ L: LuaState, _ index: Int32, _ function: String) throws(Raised) -> Bytes {
        guard let bl = Lua.bufferlist(L, index) else { throw Raised(rc: Lua.argError(L, index, function, "bufferlist")) }
        return Lua.bytes(of: bl)
    }

    private static func pushData(_ L: LuaState, _ result: OpResult) -> Int32 {
        if case .data(let bytes) = result { Lua.pushBufferlist(L, bytes) } else { Lua.pushBufferlist(L, []) }
        return 1
    }

    /// A table key → bufferlist.
    private static func pushEntries(_ L: LuaState, _ result: OpResult) -> Int32 {
        let entries: [KeyValue]
        if case .entries(let list, _) = result { entries = list } else { entries = [] }
        lua_createtable(L, 0, Int32(clamping: entries.count))
        for entry in entries {
            Lua.pushBytes(L, entry.key)
            Lua.pushBufferlist(L, entry.value)
            lua_rawset(L, -3)
        }
        return 1
    }

    // MARK: registration and logging

    static func register(_ L: LuaState) -> Int32 {
        guard lua_type(L, 1) == LUA_TFUNCTION else { return Lua.argError(L, 1, "register", "function") }
        let runtime = LuaRuntime.from(L)
        lua_rawgeti(L, sepia_lua_registryindex(), runtime.registeredRef)
        lua_pushvalue(L, 1)
        lua_rawget(L, -2)
        if lua_toboolean(L, -1) != 0 { return Lua.raise(L, "register: function already registered") }
        lua_settop(L, -2)
        lua_pushvalue(L, 1)
        lua_pushboolean(L, 1)
        lua_rawset(L, -3)
        return 0
    }

    /// Parts of a log line: strings and numbers as text, booleans as true/false, others as
    /// their type name (never a metamethod: no Lua code runs in a Swift frame).
    private static func part(_ L: LuaState, _ index: Int32) -> String {
        switch lua_type(L, index) {
        case LUA_TSTRING, LUA_TNUMBER: Lua.text(L, index)
        case LUA_TBOOLEAN: lua_toboolean(L, index) != 0 ? "true" : "false"
        default: Lua.typeName(L, index)
        }
    }

    static func log(_ L: LuaState) -> Int32 {
        let count = lua_gettop(L)
        guard count > 0 else { return 0 }  // as Ceph's: no arguments, nothing logged or returned
        var level = 10
        var first: Int32 = 1
        if count >= 2, lua_isnumber(L, 1) != 0 {
            let value = lua_tonumber(L, 1)
            if value >= 0 {
                level = value < 1e9 ? Int(value) : Int(1e9)
                first = 2
            }
        }
        let message = first > count ? "" : (first...count).map { part(L, $0) }.joined(separator: " ")
        LuaRuntime.from(L).current?.log(level: level, message: message, source: .log)
        Lua.pushString(L, message)
        return 1
    }

    /// print → the worker's log (never stdout), tab-separated like Lua's print.
    static func print(_ L: LuaState) -> Int32 {
        let count = lua_gettop(L)
        let message = count == 0 ? "" : (1...count).map { index -> String in
            lua_type(L, index) == LUA_TNIL ? "nil" : part(L, index)
        }.joined(separator: "\t")
        LuaRuntime.from(L).current?.log(level: 10, message: message, source: .print)
        return 0
    }

    // MARK: object data

    static func create(_ L: LuaState) -> Int32 {
        perform(L, .create(exclusive: lua_toboolean(L, 1) != 0))
    }

    static func remove(_ L: LuaState) -> Int32 { perform(L, .remove) }

    static func stat(_ L: LuaState) -> Int32 {
        perform(L, .stat) { result in
            guard case .stat(let stat) = result else { return 0 }
            lua_pushnumber(L, Double(stat.size))
            lua_pushnumber(L, Double(stat.mtimeNanos / 1_000_000_000))
            return 2
        }
    }

    static func read(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let offset = try unsigned(L, 1, "read")
            let length = try unsigned(L, 2, "read")
            return withCall(L) { call in
                do throws(SepiaError) {
                    return pushData(L, try call.apply(.read(offset: offset, length: length)))
                } catch where error.rc == Errno.ENOENT.rc {
                    Lua.pushBufferlist(L, [])   // a missing object reads as empty
                    return 1
                } catch {
                    return Lua.raise(L, strerror(error))
                }
            }
        }
    }

    static func write(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let offset = try unsigned(L, 1, "write")
            let length = try unsigned(L, 2, "write")
            let bytes = try data(L, 3, "write")
            guard length == UInt64(bytes.count) else { return invalid(L, Errno.EINVAL.message) }
            return perform(L, .write(offset: offset, data: bytes))
        }
    }

    static func writeFull(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let bytes = try data(L, 1, "write_full")
            return perform(L, .writeFull(data: bytes))
        }
    }

    static func truncate(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let size = try unsigned(L, 1, "truncate")
            return perform(L, .truncate(size: size))
        }
    }

    static func append(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let bytes = try data(L, 1, "append")
            return perform(L, .append(data: bytes))
        }
    }

    // MARK: xattrs

    static func getxattr(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let name = try name(L, 1, "getxattr")
            return perform(L, .getXattr(name: name)) { pushData(L, $0) }
        }
    }

    static func getxattrs(_ L: LuaState) -> Int32 {
        perform(L, .getXattrs) { pushEntries(L, $0) }
    }

    static func setxattr(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let key = try name(L, 1, "setxattr")
            let value = try data(L, 2, "setxattr")
            return perform(L, .setXattr(name: key, value: value))
        }
    }

    static func rmxattr(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let name = try name(L, 1, "rmxattr")
            return perform(L, .rmXattr(name: name))
        }
    }

    // MARK: omap

    static func mapGetVal(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let key = try name(L, 1, "map_get_val")
            return perform(L, .omapGetValsByKeys(keys: [key])) { result in
                guard case .entries(let entries, _) = result, let entry = entries.first else {
                    return Lua.raise(L, SepiaError(.ENOENT, .cls))
                }
                Lua.pushBufferlist(L, entry.value)
                return 1
            }
        }
    }

    static func mapSetVal(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let key = try name(L, 1, "map_set_val")
            let value = try data(L, 2, "map_set_val")
            return perform(L, .omapSet(entries: [KeyValue(key, value)]))
        }
    }

    /// Keys: strings, numbers via tostring; values: Lua strings only. Every entry is checked
    /// before anything is written.
    static func mapSetVals(_ L: LuaState) -> Int32 {
        guard lua_type(L, 1) == LUA_TTABLE else { return Lua.argError(L, 1, "map_set_vals", "table") }
        var entries: [KeyValue] = []
        lua_pushnil(L)
        while lua_next(L, 1) != 0 {
            let keyType = lua_type(L, -2)
            guard keyType == LUA_TSTRING || keyType == LUA_TNUMBER else {
                return invalid(L, "map_set_vals: invalid key type (\(Lua.typeName(L, -2)))")
            }
            lua_pushvalue(L, -2)   // tostring on a copy: converting the key itself breaks lua_next
            let key = Lua.string(L, -1) ?? []
            lua_settop(L, -2)
            guard lua_type(L, -1) == LUA_TSTRING else {
                let keyText = String(decoding: key, as: UTF8.self)
                return invalid(L, "map_set_vals: invalid val type (\(Lua.typeName(L, -1))) for key (\(keyText))")
            }
            entries.append(KeyValue(key, Lua.strictString(L, -1) ?? []))
            lua_settop(L, -2)
        }
        return perform(L, .omapSet(entries: entries))
    }

    static func mapGetKeys(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let start = try name(L, 1, "map_get_keys")
            let max = try unsigned(L, 2, "map_get_keys")
            return perform(L, .omapGetKeys(startAfter: start, max: max)) { result in
                let keys: [Bytes]
                if case .keys(let list, _) = result { keys = list } else { keys = [] }
                lua_createtable(L, 0, Int32(clamping: keys.count))
                for key in keys {
                    Lua.pushBytes(L, key)
                    lua_pushboolean(L, 1)
                    lua_rawset(L, -3)
                }
                return 1
            }
        }
    }

    static func mapGetVals(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let start = try name(L, 1, "map_get_vals")
            let prefix = try name(L, 2, "map_get_vals")
            let max = try unsigned(L, 3, "map_get_vals")
            return perform(L, .omapGetVals(startAfter: start, prefix: prefix, max: max)) { pushEntries(L, $0) }
        }
    }

    /// EXT: a table (array) of keys → table key → bl of the keys present.
    static func mapGetValsByKeys(_ L: LuaState) -> Int32 {
        guard lua_type(L, 1) == LUA_TTABLE else { return Lua.argError(L, 1, "map_get_vals_by_keys", "table") }
        var keys: [Bytes] = []
        let count = lua_objlen(L, 1)
        if count > 0 {
            for i in 1...count {
                lua_rawgeti(L, 1, Int32(clamping: i))
                guard let key = Lua.string(L, -1) else {
                    return invalid(L, "map_get_vals_by_keys: invalid key type (\(Lua.typeName(L, -1)))")
                }
                keys.append(key)
                lua_settop(L, -2)
            }
        }
        return perform(L, .omapGetValsByKeys(keys: keys)) { pushEntries(L, $0) }
    }

    static func mapReadHeader(_ L: LuaState) -> Int32 {
        perform(L, .omapGetHeader) { pushData(L, $0) }
    }

    static func mapWriteHeader(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let bytes = try data(L, 1, "map_write_header")
            return perform(L, .omapSetHeader(data: bytes))
        }
    }

    static func mapRemoveKey(_ L: LuaState) -> Int32 {
        checked { () throws(Raised) in
            let key = try name(L, 1, "map_remove_key")
            return perform(L, .omapRemoveKeys(keys: [key]))
        }
    }

    static func mapClear(_ L: LuaState) -> Int32 { perform(L, .omapClear) }

    // MARK: versions

    /// The object's last user version (0 for a missing object); not a sub-op.
    private static func version(_ call: CallState) -> UInt64 {
        guard case .stat(let stat)? = try? call.object.apply(.stat) else { return 0 }
        return stat.version
    }

    static func currentVersion(_ L: LuaState) -> Int32 {
        withCall(L) { call in
            lua_pushnumber(L, Double(version(call)))
            return 1
        }
    }

    static func currentSubopNum(_ L: LuaState) -> Int32 {
        withCall(L) { call in
            lua_pushnumber(L, Double(call.subops))
            return 1
        }
    }

    static func currentSubopVersion(_ L: LuaState) -> Int32 {
        withCall(L) { call in
            Lua.pushString(L, "\(version(call)).\(call.subops)")
            return 1
        }
    }
}
