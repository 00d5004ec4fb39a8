// The `bufferlist` library (docs/scripting.md "bufferlist"): bytes in a userdata whose storage is
// counted by the state's allocator (shim.h). No __tostring and no length() on purpose.
import CLuaJIT
import Codec

enum BufferlistFunctions {
    static func new(_ L: LuaState) -> Int32 {
        _ = sepia_bl_push_new(L)
        return 1
    }

    /// bl:append(s): a Lua string only. Appending to the call's output past the output cap
    /// aborts the call (-EOVERFLOW) through the trampoline.
    static func append(_ L: LuaState) -> Int32 {
        guard let bl = Lua.bufferlist(L, 1) else { return Lua.argError(L, 1, "append", "bufferlist") }
        guard lua_type(L, 2) == LUA_TSTRING else { return Lua.argError(L, 2, "append", "string") }
        var length = 0
        let bytes = lua_tolstring(L, 2, &length)
        let runtime = LuaRuntime.from(L)
        if let call = runtime.current, call.output == bl, call.outputLimit != 0,
           UInt64(bl.pointee.len + length) > call.outputLimit {
            runtime.ctx.pointee.abort = Int32(SEPIA_ABORT_OVERFLOW)
            return 0
        }
        guard sepia_bl_append(L, bl, bytes, length) == 0 else { return Lua.raise(L, "not enough memory") }
        return 0
    }

    static func str(_ L: LuaState) -> Int32 {
        guard let bl = Lua.bufferlist(L, 1) else { return Lua.argError(L, 1, "str", "bufferlist") }
        lua_pushlstring(L, UnsafeRawPointer(bl.pointee.data)?.assumingMemoryBound(to: CChar.self), bl.pointee.len)
        return 1
    }

    static func length(_ L: LuaState) -> Int32 {
        guard let bl = Lua.bufferlist(L, 1) else { return Lua.argError(L, 1, "__len", "bufferlist") }
        lua_pushnumber(L, Double(bl.pointee.len))
        return 1
    }

    /// a .. b: two bufferlists, a new copy.
    static func concat(_ L: LuaState) -> Int32 {
        guard let a = Lua.bufferlist(L, 1), let b = Lua.bufferlist(L, 2) else {
            let other = Lua.bufferlist(L, 1) == nil ? 1 : 2
            return Lua.raise(L, "attempt to concatenate a bufferlist with a \(Lua.typeName(L, Int32(other)))")
        }
        let result = sepia_bl_push_new(L)!
        guard sepia_bl_append(L, result, a.pointee.data, a.pointee.len) == 0,
              sepia_bl_append(L, result, b.pointee.data, b.pointee.len) == 0 else {
            return Lua.raise(L, "not enough memory")
        }
        return 1
    }

    /// Unsigned byte order, a proper prefix first.
    private static func compare(_ L: LuaState) -> Int? {
        guard let a = Lua.bufferlist(L, 1), let b = Lua.bufferlist(L, 2) else { return nil }
        let x = UnsafeRawBufferPointer(start: a.pointee.data, count: a.pointee.len)
        let y = UnsafeRawBufferPointer(start: b.pointee.data, count: b.pointee.len)
        for (p, q) in zip(x, y) where p != q { return p < q ? -1 : 1 }
        return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
    }

    private static func pushComparison(_ L: LuaState, _ name: String, _ test: (Int) -> Bool) -> Int32 {
        guard let order = compare(L) else {
            return Lua.raise(L, "attempt to compare \(Lua.typeName(L, 1)) with \(Lua.typeName(L, 2))")
        }
        lua_pushboolean(L, test(order) ? 1 : 0)
        return 1
    }

    static func equal(_ L: LuaState) -> Int32 {
        guard let order = compare(L) else {
            lua_pushboolean(L, 0)   // a bufferlist never equals anything else
            return 1
        }
        lua_pushboolean(L, order == 0 ? 1 : 0)
        return 1
    }

    static func less(_ L: LuaState) -> Int32 { pushComparison(L, "__lt") { $0 < 0 } }
    static func lessOrEqual(_ L: LuaState) -> Int32 { pushComparison(L, "__le") { $0 <= 0 } }
}
