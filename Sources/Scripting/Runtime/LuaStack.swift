// Small typed helpers over the Lua C API, used by every host function. None of them raises:
// errors are pushed and returned as SEPIA_LUA_RAISE for the C trampoline to raise.
import CLuaJIT
import Codec

/// A lua_State as Swift sees it.
typealias LuaState = OpaquePointer

/// A Swift function Lua can call (through the trampoline): no captures, context via upvalue.
public typealias HostFunction = @convention(c) (OpaquePointer?) -> Int32

enum Lua {
    static let raise = Int32(SEPIA_LUA_RAISE)

    /// Pushes a plain Lua error message (→ -EIO unless caught) and returns the raise sentinel.
    static func raise(_ L: LuaState, _ message: String) -> Int32 {
        pushString(L, message)
        return raise
    }

    /// Pushes a cls failure object (→ its errno unless caught) and returns the raise sentinel.
    static func raise(_ L: LuaState, _ error: SepiaError) -> Int32 {
        let errno = -error.rc
        let count = error.message.utf8.count
        error.message.withCString { sepia_lua_push_cls_error(L, errno, $0, count) }
        return raise
    }

    static func pushString(_ L: LuaState, _ s: String) {
        var s = s
        s.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { lua_pushlstring(L, $0.baseAddress, $0.count) }
        }
    }

    static func pushBytes(_ L: LuaState, _ bytes: Bytes) {
        bytes.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) { lua_pushlstring(L, $0.baseAddress, $0.count) }
        }
    }

    /// The bytes of a Lua string (numbers are NOT converted) at `index`.
    static func strictString(_ L: LuaState, _ index: Int32) -> Bytes? {
        guard lua_type(L, index) == LUA_TSTRING else { return nil }
        return bytesAt(L, index)
    }

    /// The bytes of a string or number at `index` (numbers via tostring, as luaL_checkstring).
    static func string(_ L: LuaState, _ index: Int32) -> Bytes? {
        let t = lua_type(L, index)
        guard t == LUA_TSTRING || t == LUA_TNUMBER else { return nil }
        return bytesAt(L, index)
    }

    private static func bytesAt(_ L: LuaState, _ index: Int32) -> Bytes {
        var len = 0
        guard let p = lua_tolstring(L, index, &len) else { return [] }
        return Bytes(UnsafeRawBufferPointer(start: p, count: len))
    }

    /// A Swift String for messages (lossy for invalid UTF-8).
    static func text(_ L: LuaState, _ index: Int32) -> String {
        String(decoding: bytesAt(L, index), as: UTF8.self)
    }

    /// A number, or a numeric string, at `index`, truncated toward zero.
    static func integer(_ L: LuaState, _ index: Int32) -> Int64? {
        let t = lua_type(L, index)
        guard t == LUA_TNUMBER || (t == LUA_TSTRING && lua_isnumber(L, index) != 0) else { return nil }
        let d = lua_tonumber(L, index)
        guard d.isFinite, d > -9.2e18, d < 9.2e18 else { return nil }
        return Int64(d)
    }

    static func typeName(_ L: LuaState, _ index: Int32) -> String {
        String(cString: lua_typename(L, lua_type(L, index)))
    }

    /// "bad argument #n to 'f' (what expected, got T)": the wording of Lua's own checks.
    static func argError(_ L: LuaState, _ index: Int32, _ function: String, _ expected: String) -> Int32 {
        raise(L, "bad argument #\(index) to '\(function)' (\(expected) expected, got \(typeName(L, index)))")
    }

    /// The bufferlist at `index`, or nil.
    static func bufferlist(_ L: LuaState, _ index: Int32) -> UnsafeMutablePointer<sepia_bl>? {
        sepia_bl_at(L, index)
    }

    static func bytes(of bl: UnsafeMutablePointer<sepia_bl>) -> Bytes {
        guard bl.pointee.len > 0, let data = bl.pointee.data else { return [] }
        return Bytes(UnsafeBufferPointer(start: data, count: bl.pointee.len))
    }

    /// Pushes a new bufferlist holding `bytes`. Host frames never see an allocation refused,
    /// so the append only fails when the process itself is out of memory.
    @discardableResult
    static func pushBufferlist(_ L: LuaState, _ bytes: Bytes) -> UnsafeMutablePointer<sepia_bl> {
        let bl = sepia_bl_push_new(L)!
        _ = bytes.withUnsafeBytes { sepia_bl_append(L, bl, $0.baseAddress, $0.count) }
        return bl
    }

    /// t[key] = value at the top (raw, so no metamethod runs in a Swift frame).
    static func setField(_ L: LuaState, table: Int32, _ key: String, push: () -> Void) {
        let t = table < 0 ? lua_gettop(L) + table + 1 : table
        pushString(L, key)
        push()
        lua_rawset(L, t)
    }

    /// Converts a relative index into an absolute one.
    static func absolute(_ L: LuaState, _ index: Int32) -> Int32 {
        index < 0 && index > sepia_lua_registryindex() ? lua_gettop(L) + index + 1 : index
    }
}
