// LuaJIT for Swift. Lua's API macros and variadic functions do not import into Swift,
// so each one Sepia uses is wrapped here as a static inline function.
#ifndef SEPIA_CLUAJIT_SHIM_H
#define SEPIA_CLUAJIT_SHIM_H
#include <luajit-2.1/lua.h>
#include <luajit-2.1/lauxlib.h>
#include <luajit-2.1/lualib.h>
#include <luajit-2.1/luajit.h>

// lua_pop is a macro.
static inline void sepia_lua_pop(lua_State *L, int n) { lua_settop(L, -(n)-1); }
// lua_newtable is a macro.
static inline void sepia_lua_newtable(lua_State *L) { lua_createtable(L, 0, 0); }
// lua_tostring is a macro.
static inline const char *sepia_lua_tostring(lua_State *L, int i) { return lua_tolstring(L, i, NULL); }
// lua_pushcfunction is a macro.
static inline void sepia_lua_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcclosure(L, f, 0); }
// lua_setglobal / lua_getglobal are macros.
static inline void sepia_lua_setglobal(lua_State *L, const char *s) { lua_setfield(L, LUA_GLOBALSINDEX, s); }
static inline void sepia_lua_getglobal(lua_State *L, const char *s) { lua_getfield(L, LUA_GLOBALSINDEX, s); }
// lua_upvalueindex is a macro.
static inline int sepia_lua_upvalueindex(int i) { return LUA_GLOBALSINDEX - i; }
// Type tests are macros.
static inline int sepia_lua_isnil(lua_State *L, int i) { return lua_type(L, i) == LUA_TNIL; }
static inline int sepia_lua_isfunction(lua_State *L, int i) { return lua_type(L, i) == LUA_TFUNCTION; }
static inline int sepia_lua_istable(lua_State *L, int i) { return lua_type(L, i) == LUA_TTABLE; }
// Pseudo-indices are macros.
static inline int sepia_lua_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int sepia_lua_globalsindex(void) { return LUA_GLOBALSINDEX; }
// lua_error never returns, so it must not be called from a Swift frame (LuaJIT unwinds with
// DWARF and Swift's defer/deinit would be skipped). Swift host functions return
// SEPIA_LUA_RAISE with the error value on the stack; this trampoline raises it afterwards.
#define SEPIA_LUA_RAISE (-1)
static inline int sepia_lua_raise_if(lua_State *L, int rc) {
    if (rc == SEPIA_LUA_RAISE) { return lua_error(L); }
    return rc;
}
#endif
