// cmsgpack.pack / cmsgpack.unpack: ALL Lua ↔ msgpack conversion, on msgpack-c.
// Lua → msgpack: nil, booleans; numbers as integers when whole and in range, else doubles;
// strings as str; bufferlists as bin; tables as arrays when their keys are exactly 1..n
// (the empty table too), else maps; other values and nesting deeper than `maxDepth` as nil
// (lua-cmsgpack's rules). msgpack → Lua: str/bin as strings, maps/arrays as tables, nil
// map keys dropped.
import CLuaJIT
import CMsgpack
import Codec

enum LuaMsgpack {
    static let maxDepth = 32
    /// Values one pack may visit: a table referenced from many places (or itself) would
    /// otherwise make the output exponential, in a host function the hook cannot stop.
    static let maxValues = 1_000_000

    // MARK: pack

    /// LuaJIT's longest string (LJ_MAX_STR); pushing a longer one raises inside Swift.
    static let maxStringBytes = 0x7fff_ff00
    /// What unpacking one msgpack value costs at least: msgpack-c's 24-byte object in its zone
    /// plus the Lua value it becomes. Inputs with more values than the call's free memory
    /// allows this many bytes each are refused before msgpack-c allocates anything.
    static let bytesPerValue = 32

    /// The pack output, refusing writes past `budget` so that neither msgpack-c's buffer nor
    /// the result string can exceed what the call may still allocate.
    struct BoundedOutput {
        var buffer = msgpack_sbuffer()
        var budget: Int
        var over = false
    }

    static func pack(_ L: LuaState) -> Int32 {
        let count = lua_gettop(L)
        guard count > 0 else { return Lua.raise(L, "MessagePack pack needs input") }
        let free = freeMemory(L)
        let output = UnsafeMutablePointer<BoundedOutput>.allocate(capacity: 1)
        output.initialize(to: BoundedOutput(budget: min(free ?? maxStringBytes, maxStringBytes)))
        msgpack_sbuffer_init(&output.pointee.buffer)
        defer {
            msgpack_sbuffer_destroy(&output.pointee.buffer)
            output.deinitialize(count: 1)
            output.deallocate()
        }
        var packer = msgpack_packer()
        msgpack_packer_init(&packer, output, { data, bytes, length in
            let out = data!.assumingMemoryBound(to: BoundedOutput.self)
            guard !out.pointee.over, length <= out.pointee.budget - out.pointee.buffer.size else {
                out.pointee.over = true
                return -1
            }
            return msgpack_sbuffer_write(&out.pointee.buffer, bytes, length)
        })
        var budget = maxValues
        for index in 1...count where !output.pointee.over {
            packValue(L, index, &packer, depth: 0, budget: &budget)
        }
        guard budget >= 0 else {
            return Lua.raise(L, "cmsgpack.pack: more than \(maxValues) values (shared or cyclic tables?)")
        }
        if output.pointee.over {
            if let free, free < maxStringBytes {
                // Past the memory cap: the same uncatchable abort as an allocation bomb.
                sepia_lua_ctx_of(L).pointee.abort = Int32(SEPIA_ABORT_MEMORY)
                return 0
            }
            return Lua.raise(L, SepiaError(.EOVERFLOW, .limit, "cmsgpack.pack: output longer than \(maxStringBytes) bytes"))
        }
        lua_pushlstring(L, output.pointee.buffer.data, output.pointee.buffer.size)
        return 1
    }

    private static func overCap(_ L: LuaState) -> Bool {
        let c = sepia_lua_ctx_of(L)!.pointee
        return c.enforce != 0 && c.limit != 0 && c.used > c.limit
    }

    /// Bytes the call may still allocate, or nil when it has no memory cap.
    private static func freeMemory(_ L: LuaState) -> Int? {
        let c = sepia_lua_ctx_of(L)!.pointee
        guard c.enforce != 0, c.limit != 0 else { return nil }
        return c.limit > c.used ? c.limit - c.used : 0
    }

    private static func packValue(_ L: LuaState, _ index: Int32, _ pk: inout msgpack_packer, depth: Int,
                                  budget: inout Int) {
        budget -= 1
        let out = pk.data.assumingMemoryBound(to: BoundedOutput.self)
        guard budget >= 0, !out.pointee.over else { return }
        let index = Lua.absolute(L, index)
        switch lua_type(L, index) {
        case LUA_TBOOLEAN:
            _ = lua_toboolean(L, index) != 0 ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk)
        case LUA_TNUMBER:
            let d = lua_tonumber(L, index)
            if d.rounded() == d, d >= -9.2e18, d < 1.8e19 {
                _ = d < 0 ? msgpack_pack_int64(&pk, Int64(d)) : msgpack_pack_uint64(&pk, UInt64(d))
            } else {
                _ = msgpack_pack_double(&pk, d)
            }
        case LUA_TSTRING:
            var length = 0
            let p = lua_tolstring(L, index, &length)
            _ = msgpack_pack_str(&pk, length)
            _ = msgpack_pack_str_body(&pk, p, length)
        case LUA_TUSERDATA:
            guard let bl = Lua.bufferlist(L, index) else { _ = msgpack_pack_nil(&pk); return }
            _ = msgpack_pack_bin(&pk, bl.pointee.len)
            _ = msgpack_pack_bin_body(&pk, bl.pointee.data, bl.pointee.len)
        case LUA_TTABLE where depth < maxDepth:
            packTable(L, index, &pk, depth: depth + 1, budget: &budget)
        default:
            _ = msgpack_pack_nil(&pk)
        }
    }

    private static func packTable(_ L: LuaState, _ index: Int32, _ pk: inout msgpack_packer, depth: Int,
                                  budget: inout Int) {
        guard lua_checkstack(L, 4) != 0 else { _ = msgpack_pack_nil(&pk); return }
        var count = 0
        var maxKey = 0.0
        var isArray = true
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            lua_settop(L, -2)
            count += 1
            if isArray {
                let key = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : -1
                if key >= 1, key.rounded() == key { maxKey = max(maxKey, key) } else { isArray = false }
            }
        }
        if isArray, maxKey == Double(count) {
            _ = msgpack_pack_array(&pk, count)
            for i in 0..<count {
                lua_rawgeti(L, index, Int32(clamping: i + 1))
                packValue(L, -1, &pk, depth: depth, budget: &budget)
                lua_settop(L, -2)
            }
            return
        }
        _ = msgpack_pack_map(&pk, count)
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            packValue(L, -2, &pk, depth: depth, budget: &budget)
            packValue(L, -1, &pk, depth: depth, budget: &budget)
            lua_settop(L, -2)
        }
    }

    // MARK: unpack

    static func unpack(_ L: LuaState) -> Int32 {
        guard lua_type(L, 1) == LUA_TSTRING else { return Lua.argError(L, 1, "unpack", "string") }
        var length = 0
        let data = lua_tolstring(L, 1, &length)
        // msgpack-c trusts claimed lengths and allocates per value outside the Lua allocator:
        // check the bytes first, and refuse more values than the call's memory could hold.
        let values: Int
        do {
            values = try FrameScanner.countValues(UnsafeRawBufferPointer(start: data, count: length),
                                                  maxDepth: maxDepth + 1)
        } catch .tooDeep {
            return Lua.raise(L, "cmsgpack.unpack: input nested too deeply")
        } catch {
            return Lua.raise(L, "cmsgpack.unpack: malformed or truncated input")
        }
        if let free = freeMemory(L), values > free / bytesPerValue {
            sepia_lua_ctx_of(L).pointee.abort = Int32(SEPIA_ABORT_MEMORY)
            return 0
        }
        var unpacked = msgpack_unpacked()
        msgpack_unpacked_init(&unpacked)
        defer { msgpack_unpacked_destroy(&unpacked) }
        var offset = 0
        var results: Int32 = 0
        while offset < length {
            let status = msgpack_unpack_next(&unpacked, data, length, &offset)
            guard status == MSGPACK_UNPACK_SUCCESS else {
                lua_settop(L, 1)
                return Lua.raise(L, "cmsgpack.unpack: malformed or truncated input")
            }
            guard lua_checkstack(L, 8) != 0, pushObject(L, unpacked.data, depth: 0) else {
                lua_settop(L, 1)
                return Lua.raise(L, "cmsgpack.unpack: input nested too deeply")
            }
            results += 1
        }
        return results
    }

    /// Pushes one msgpack object (strings copied out of msgpack-c's zone).
    private static func pushObject(_ L: LuaState, _ object: msgpack_object, depth: Int) -> Bool {
        guard depth <= maxDepth, lua_checkstack(L, 4) != 0 else { return false }
        switch object.type {
        case MSGPACK_OBJECT_NIL: lua_pushnil(L)
        case MSGPACK_OBJECT_BOOLEAN: lua_pushboolean(L, object.via.boolean ? 1 : 0)
        case MSGPACK_OBJECT_POSITIVE_INTEGER: lua_pushnumber(L, Double(object.via.u64))
        case MSGPACK_OBJECT_NEGATIVE_INTEGER: lua_pushnumber(L, Double(object.via.i64))
        case MSGPACK_OBJECT_FLOAT32, MSGPACK_OBJECT_FLOAT64: lua_pushnumber(L, object.via.f64)
        case MSGPACK_OBJECT_STR: lua_pushlstring(L, object.via.str.ptr, Int(object.via.str.size))
        case MSGPACK_OBJECT_BIN: lua_pushlstring(L, object.via.bin.ptr, Int(object.via.bin.size))
        case MSGPACK_OBJECT_ARRAY where overCap(L), MSGPACK_OBJECT_MAP where overCap(L):
            // Tables cost more than the pre-scan's minimum: stop as soon as the cap is passed
            // (the trampoline then raises the memory abort, which wins over this failure).
            sepia_lua_ctx_of(L).pointee.abort = Int32(SEPIA_ABORT_MEMORY)
            return false
        case MSGPACK_OBJECT_ARRAY:
            let array = object.via.array
            lua_createtable(L, Int32(clamping: min(array.size, 1 << 16)), 0)  // a hint; huge ones raise
            for i in 0..<Int(array.size) {
                guard pushObject(L, array.ptr[i], depth: depth + 1) else { return false }
                lua_rawseti(L, -2, Int32(i + 1))
            }
        case MSGPACK_OBJECT_MAP:
            let map = object.via.map
            lua_createtable(L, 0, Int32(clamping: min(map.size, 1 << 16)))
            for i in 0..<Int(map.size) {
                guard pushObject(L, map.ptr[i].key, depth: depth + 1) else { return false }
                guard pushObject(L, map.ptr[i].val, depth: depth + 1) else { return false }
                if lua_type(L, -2) == LUA_TNIL || (lua_type(L, -2) == LUA_TNUMBER && lua_tonumber(L, -2).isNaN) {
                    lua_settop(L, -3)
                } else {
                    lua_rawset(L, -3)
                }
            }
        default: lua_pushnil(L)
        }
        return true
    }
}
