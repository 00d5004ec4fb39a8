// The sandbox, built once per state from an allow-list (docs/scripting.md "Sandbox"). Scripts never
// see the VM's globals: each call gets a fresh environment built from two templates (plain
// values shared; each library seen through a table of the call's own, made on first use), so
// no call sees another's globals or changes to `string.*`. The string metatable is locked (getmetatable("") is false) and string.dump is
// gone from the real string table it indexes. The JIT is off: compiled traces do not run the
// count hook, so `while true do end` could never be stopped (measured on this LuaJIT).
import CLuaJIT
import CLuaPattern
import Codec

extension LuaRuntime {
    /// Base-library names scripts get as they are. Absent on purpose: dofile, loadfile,
    /// require, module, xpcall, getfenv/setfenv (they reach the VM's globals), newproxy
    /// (userdata finalizers would run outside any call), coroutine.
    static let sharedBaseNames = [
        "assert", "error", "ipairs", "next", "pairs", "rawequal", "rawget", "rawset", "select",
        "setmetatable", "getmetatable", "tonumber", "tostring", "type", "unpack", "collectgarbage",
        "gcinfo", "_VERSION",
    ]
    /// Libraries each call sees through a view of its own.
    static let viewedLibraryNames = ["string", "table", "math", "bit"]

    func buildSandbox() {
        let registry = sepia_lua_registryindex()
        // Registry slots the C side uses.
        lua_createtable(L, 0, 0)
        ctx.pointee.abort_ref = luaL_ref(L, registry)
        lua_createtable(L, 0, 1)
        lua_pushboolean(L, 0)
        lua_setfield(L, -2, "__metatable")
        ctx.pointee.cls_error_mt_ref = luaL_ref(L, registry)
        lua_pushboolean(L, 1)
        ctx.pointee.env_ref = luaL_ref(L, registry)
        lua_pushboolean(L, 1)
        registeredRef = luaL_ref(L, registry)

        // Only these libraries are opened at all (no io, os, debug, package, ffi, jit).
        let openers: [(String, lua_CFunction)] = [
            ("", luaopen_base), ("string", luaopen_string), ("table", luaopen_table),
            ("math", luaopen_math), ("bit", luaopen_bit),
        ]
        for (name, opener) in openers {
            sepia_lua_pushcfunction(L, opener)
            Lua.pushString(L, name)
            lua_call(L, 1, 0)
        }
        _ = luaJIT_setmode(L, 0, Int32(LUAJIT_MODE_ENGINE) | Int32(LUAJIT_MODE_OFF))

        sepia_lua_getglobal(L, "string")
        lua_pushnil(L)
        lua_setfield(L, -2, "dump")
        // Patterns are matched by Sepia's own matcher, which charges its steps to the call's
        // budget (LuaJIT's backtracks without bound inside one C call; CLuaPattern).
        sepia_pattern_register(L, 1, UnsafeMutableRawPointer(ctx))
        // The library functions that call back into Lua from C (callbacks, __index of a
        // replacement table, __tostring, comparators) get the C stack check (shim.h); the
        // matcher's gsub checks it itself.
        sepia_lua_guard_field(L, 1, "format")
        sepia_lua_getglobal(L, "table")
        lua_getfield(L, 2, "sort")
        lua_pushcclosure(L, sepia_lua_sort_guard, 1)
        lua_setfield(L, 2, "sort")
        lua_settop(L, 0)
        Lua.pushString(L, "")
        _ = lua_getmetatable(L, -1)
        lua_pushboolean(L, 0)
        lua_setfield(L, -2, "__metatable")
        lua_settop(L, 0)

        buildBufferlistMetatable()
        buildTemplates()
        sepia_lua_install_hook(L)
        lua_gc(L, LUA_GCCOLLECT, 0)
    }

    private func pushHost(_ function: HostFunction) {
        sepia_lua_push_host(L, function, opaqueSelf)
    }

    private func buildBufferlistMetatable() {
        lua_createtable(L, 0, 8)
        lua_createtable(L, 0, 2)
        for entry in Self.hostFunctions where entry.module == .bufferlistMethod {
            Lua.setField(L, table: -1, entry.name) { pushHost(entry.function) }
        }
        lua_setfield(L, -2, "__index")
        for entry in Self.hostFunctions where entry.module == .bufferlistMeta {
            Lua.setField(L, table: -1, entry.name) { pushHost(entry.function) }
        }
        Lua.setField(L, table: -1, "__gc") { sepia_lua_pushcfunction(L, sepia_bl_gc) }
        Lua.setField(L, table: -1, "__metatable") { lua_pushboolean(L, 0) }
        ctx.pointee.bufferlist_mt_ref = luaL_ref(L, sepia_lua_registryindex())
    }

    /// Registry: plain template (name → shared value), libs template (name → the metatable of
    /// the library's per-call view), and the environments' __index over the latter.
    private func buildTemplates() {
        let registry = sepia_lua_registryindex()
        lua_createtable(L, 0, 32)
        for name in Self.sharedBaseNames {
            Lua.setField(L, table: -1, name) { sepia_lua_getglobal(L, name) }
        }
        Lua.setField(L, table: -1, "pcall") { sepia_lua_pushcfunction(L, sepia_lua_pcall_wrapper) }
        Lua.setField(L, table: -1, "load") { sepia_lua_pushcfunction(L, sepia_lua_load_wrapper) }
        Lua.setField(L, table: -1, "loadstring") { sepia_lua_pushcfunction(L, sepia_lua_load_wrapper) }
        for entry in Self.hostFunctions where entry.module == .global {
            Lua.setField(L, table: -1, entry.name) { pushHost(entry.function) }
        }
        plainTemplateRef = luaL_ref(L, registry)

        lua_createtable(L, 0, 16)
        for name in Self.viewedLibraryNames {
            Lua.setField(L, table: -1, name) { pushLibraryMetatable { sepia_lua_getglobal(L, name) } }
        }
        Lua.setField(L, table: -1, "cls") { pushLibraryMetatable { pushModule(.cls) } }
        Lua.setField(L, table: -1, "objclass") { lua_getfield(L, -2, "cls") }  // one table, two names
        Lua.setField(L, table: -1, "bufferlist") { pushLibraryMetatable { pushModule(.bufferlist) } }
        Lua.setField(L, table: -1, "cmsgpack") { pushLibraryMetatable { pushModule(.cmsgpack) } }
        lua_pushvalue(L, -1)
        lua_pushcclosure(L, sepia_lua_env_index, 1)
        environmentIndexRef = luaL_ref(L, registry)
        libsTemplateRef = luaL_ref(L, registry)
    }

    /// {__index = library, __metatable = false}: what a call's view of a library is made of.
    private func pushLibraryMetatable(_ pushLibrary: () -> Void) {
        lua_createtable(L, 0, 2)
        Lua.setField(L, table: -1, "__index") { pushLibrary() }
        Lua.setField(L, table: -1, "__metatable") { lua_pushboolean(L, 0) }
    }

    private func pushModule(_ module: HostModule) {
        lua_createtable(L, 0, 64)
        for entry in Self.hostFunctions where entry.module == module {
            Lua.setField(L, table: -1, entry.name) { pushHost(entry.function) }
        }
        if module == .cls {
            // The errno constants of docs/scripting.md: EPERM..ERANGE, without ENODATA/EOPNOTSUPP.
            for errno in Errno.allCases where errno.rawValue <= Errno.ERANGE.rawValue {
                Lua.setField(L, table: -1, errno.name) { lua_pushnumber(L, Double(errno.rawValue)) }
            }
        }
    }

    /// Adds a library table (e.g. the Imaging binding's `magick`) to every call's
    /// environment. Its functions run through the same trampoline as the cls module.
    public func registerModule(_ name: String, functions: [(name: String, function: HostFunction)]) {
        lua_settop(L, 0)
        lua_rawgeti(L, sepia_lua_registryindex(), libsTemplateRef)
        Lua.setField(L, table: 1, name) {
            pushLibraryMetatable {
                lua_createtable(L, 0, Int32(clamping: functions.count))
                for (fname, function) in functions {
                    Lua.setField(L, table: -1, fname) { pushHost(function) }
                }
            }
        }
        lua_settop(L, 0)
    }
}
