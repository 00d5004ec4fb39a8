// LuaJIT for Swift. Lua's API macros and variadic functions do not import into Swift,
// so each one Sepia uses is wrapped here as a static inline function. The second half holds
// the few pieces of the sandbox that must be C because they raise Lua errors (lua_error
// never returns and must not unwind through a Swift frame): the allocator with its memory
// cap, the count hook, the host-function trampoline, the pcall/load wrappers, bufferlist
// storage and the per-call environment copy.
#ifndef SEPIA_CLUAJIT_SHIM_H
#define SEPIA_CLUAJIT_SHIM_H
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

// ---------------------------------------------------------------------------------------
// Sepia's sandbox core.

// Why a call was aborted. An abort cannot be caught by scripts: the pcall wrapper and the
// count hook re-raise it until the call unwinds to the host.
enum { SEPIA_ABORT_NONE = 0, SEPIA_ABORT_TIMEOUT = 1, SEPIA_ABORT_MEMORY = 2, SEPIA_ABORT_OVERFLOW = 3,
       SEPIA_ABORT_DEPTH = 4 };

// C stack a call may not use: what is left for raising the abort (the unwinder and the
// count hook's full collection need room) and for the host's own frames. A quarter of the
// thread's stack, at least 128 KiB.
#define SEPIA_STACK_RESERVE_MIN (128u << 10)
// glibc declares this only under _GNU_SOURCE, which a module header cannot set reliably.
extern int pthread_getattr_np(pthread_t thread, pthread_attr_t *attr);

// Instructions between two count-hook ticks. Small enough that a tick costs nothing
// noticeable, large enough to keep the hook cheap.
#define SEPIA_HOOK_STEP 1000

// The state's bookkeeping, reached from C through the allocator's user data
// (lua_getallocf) and from Swift through the runtime that owns it.
typedef struct sepia_lua_ctx {
    size_t used;                 // bytes held by the state (allocator's view)
    size_t limit;                // refuse growth beyond this while enforcing (0: no cap)
    size_t gc_threshold;         // collect fully when used passes this (0: never)
    int enforce;                 // only inside a protected call of user code
    int host_depth;              // > 0 while a Swift host function runs: never refuse then
    int abort;                   // SEPIA_ABORT_*
    uint64_t instructions;       // counted by the hook, in steps of SEPIA_HOOK_STEP
    uint64_t instruction_limit;  // 0: none
    uint64_t deadline_ns;        // CLOCK_MONOTONIC; 0: none
    int abort_ref;               // registry: the abort sentinel value
    int cls_error_mt_ref;        // registry: metatable marking cls error objects
    int bufferlist_mt_ref;       // registry: bufferlist metatable
    int env_ref;                 // registry: the running call's environment
    uintptr_t stack_floor;       // C frames below this address abort the call (0: unknown)
    pthread_t stack_thread;      // the thread stack_floor was measured on
    int stack_known;             // stack_thread is valid
} sepia_lua_ctx;

static inline sepia_lua_ctx *sepia_lua_ctx_of(lua_State *L) {
    void *ud = NULL;
    (void)lua_getallocf(L, &ud);
    return (sepia_lua_ctx *)ud;
}

static inline uint64_t sepia_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// The allocator: counts every byte and refuses growth past the cap. Refusing only while
// enforcing and outside host functions means a memory error is never raised inside a Swift
// frame; host functions may overshoot and the trampoline aborts right after they return.
// (LuaJIT's GC64 build accepts a custom allocator in lua_newstate; checked on this build.)
static inline void *sepia_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    sepia_lua_ctx *c = (sepia_lua_ctx *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        c->used -= old;
        free(ptr);
        return NULL;
    }
    if (nsize > old && c->enforce && c->host_depth == 0 && c->limit != 0
        && c->used - old + nsize > c->limit) {
        c->abort = SEPIA_ABORT_MEMORY;
        return NULL;
    }
    void *q = realloc(ptr, nsize);
    if (q != NULL) { c->used = c->used - old + nsize; }
    return q;
}

static inline lua_State *sepia_lua_newstate(sepia_lua_ctx *c) {
    return lua_newstate(sepia_lua_alloc, c);
}

// Raises the abort sentinel. Pushing a registry value needs no allocation, so this works
// even when the memory cap is what aborted.
static inline int sepia_lua_raise_abort(lua_State *L) {
    sepia_lua_ctx *c = sepia_lua_ctx_of(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->abort_ref);
    return lua_error(L);
}

// Measures the calling thread's stack once per thread (a runtime may be driven by different
// threads in turn, never by two at once). Every C function that can call back into Lua
// (string.gsub, string.format, table.sort, pcall, load, host functions) checks its frame
// against the floor: C re-entry is bounded by stack actually used, whatever each level costs.
static inline void sepia_lua_arm_stack(sepia_lua_ctx *c) {
    pthread_t self = pthread_self();
    if (c->stack_known && pthread_equal(self, c->stack_thread)) { return; }
    c->stack_floor = 0;
    pthread_attr_t attr;
    if (pthread_getattr_np(self, &attr) == 0) {
        void *low = NULL;
        size_t size = 0;
        if (pthread_attr_getstack(&attr, &low, &size) == 0 && low != NULL) {
            size_t reserve = size / 4 > SEPIA_STACK_RESERVE_MIN ? size / 4 : SEPIA_STACK_RESERVE_MIN;
            if (reserve < size) { c->stack_floor = (uintptr_t)low + reserve; }
        }
        pthread_attr_destroy(&attr);
    }
    c->stack_thread = self;
    c->stack_known = 1;
}

// Aborts the call (uncatchable, like the instruction limit) when this frame is below the floor.
static inline void sepia_lua_check_depth(lua_State *L, sepia_lua_ctx *c) {
    if (c->enforce && c->stack_floor != 0 && (uintptr_t)__builtin_frame_address(0) < c->stack_floor) {
        if (c->abort == SEPIA_ABORT_NONE) { c->abort = SEPIA_ABORT_DEPTH; }
        sepia_lua_raise_abort(L);
    }
}

// Stands in for a library C function that calls back into Lua (upvalue 1: the original).
// The original is called directly, in this frame, so its argument errors name it as before;
// it must not read upvalues of its own (gsub, format and sort do not).
static inline int sepia_lua_depth_guard(lua_State *L) {
    sepia_lua_check_depth(L, sepia_lua_ctx_of(L));
    lua_CFunction f = lua_tocfunction(L, lua_upvalueindex(1));
    return f(L);
}

// Replaces table[name] (a C function) by the depth guard over it.
static inline void sepia_lua_guard_field(lua_State *L, int table, const char *name) {
    lua_getfield(L, table, name);
    lua_pushcclosure(L, sepia_lua_depth_guard, 1);
    lua_setfield(L, table, name);
}

// LuaJIT has no emergency GC, and bufferlist bytes are invisible to its GC pacing: when the
// state nears the cap, collect fully so that only live memory counts against it. The next
// collection is set halfway between what is live and the cap, so a state really near its
// cap does not collect on every tick. Only called from C frames (finalizers are C too).
static inline void sepia_lua_collect_near_cap(lua_State *L, sepia_lua_ctx *c) {
    if (!c->enforce || c->gc_threshold == 0 || c->used <= c->gc_threshold) { return; }
    lua_gc(L, LUA_GCCOLLECT, 0);
    c->gc_threshold = c->used >= c->limit ? c->limit : c->used + (c->limit - c->used) / 2;
}

// Charges n instructions against the budget and reads the deadline; past either (or once
// aborted) raises the abort. The count hook charges VM instructions, the pattern matcher
// (CLuaPattern) its steps, so a long C call stops at the same limit as a loop in Lua.
static inline void sepia_lua_charge(lua_State *L, sepia_lua_ctx *c, uint64_t n) {
    if (!c->enforce) { return; }
    if (c->abort == SEPIA_ABORT_NONE) {
        c->instructions += n;
        if (c->instruction_limit != 0 && c->instructions > c->instruction_limit) {
            c->abort = SEPIA_ABORT_TIMEOUT;
        } else if (c->deadline_ns != 0 && sepia_now_ns() > c->deadline_ns) {
            c->abort = SEPIA_ABORT_TIMEOUT;
        }
    }
    if (c->abort != SEPIA_ABORT_NONE) { sepia_lua_raise_abort(L); }
}

// The count hook: instruction budget and deadline. Once aborted, every tick raises again,
// so a script that catches the abort somehow still cannot run on.
static inline void sepia_lua_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    sepia_lua_ctx *c = sepia_lua_ctx_of(L);
    sepia_lua_collect_near_cap(L, c);
    sepia_lua_charge(L, c, SEPIA_HOOK_STEP);
}

static inline void sepia_lua_install_hook(lua_State *L) {
    lua_sethook(L, sepia_lua_hook, LUA_MASKCOUNT, SEPIA_HOOK_STEP);
}

// table.sort's default order as a C comparator that charges one instruction per comparison
// and checks the limits every 1024. LuaJIT's sort compares in C, out of the count hook's
// sight, and its median-of-three quicksort is quadratic on crafted input (40,000 elements:
// 5.7 s in one call), so without a comparator of the script's the sort gets this one.
static inline int sepia_lua_sort_less(lua_State *L) {
    sepia_lua_ctx *c = sepia_lua_ctx_of(L);
    if (c->enforce && (++c->instructions & 1023) == 0) { sepia_lua_charge(L, c, 0); }
    lua_pushboolean(L, lua_lessthan(L, 1, 2));
    return 1;
}

// Stands in for table.sort (upvalue 1: the original): the depth check, and the charging
// comparator when the script gives none. The original runs in this frame, so its argument
// errors name it as before.
static inline int sepia_lua_sort_guard(lua_State *L) {
    sepia_lua_check_depth(L, sepia_lua_ctx_of(L));
    if (lua_gettop(L) >= 1 && lua_isnoneornil(L, 2)) {
        lua_settop(L, 1);
        lua_pushcclosure(L, sepia_lua_sort_less, 0);
    }
    lua_CFunction f = lua_tocfunction(L, lua_upvalueindex(1));
    return f(L);
}

// After an abort or a host function overshooting the cap: raise the abort.
static inline void sepia_lua_check_abort(lua_State *L, sepia_lua_ctx *c) {
    if (c->abort == SEPIA_ABORT_NONE && c->enforce && c->limit != 0 && c->used > c->limit) {
        c->abort = SEPIA_ABORT_MEMORY;
    }
    if (c->abort != SEPIA_ABORT_NONE && c->enforce) { sepia_lua_raise_abort(L); }
}

// Every Swift host function runs through this C closure: upvalue 1 is the Swift function,
// upvalue 2 the runtime (light userdata, read back by the Swift side). The Swift function
// returns SEPIA_LUA_RAISE with the error value on top, and the error is raised here, after
// its frame is gone.
static inline int sepia_lua_host_trampoline(lua_State *L) {
    lua_CFunction f = (lua_CFunction)lua_touserdata(L, lua_upvalueindex(1));
    sepia_lua_ctx *c = sepia_lua_ctx_of(L);
    if (c->host_depth == 0) { sepia_lua_check_depth(L, c); }
    c->host_depth++;
    int rc = f(L);
    c->host_depth--;
    if (c->host_depth > 0) {
        // Called while another host function's Swift frame is live: host functions never
        // call Lua, so this is a finalizer run by an allocation there (a magick image's
        // __gc). Raising would unwind through that frame and skip its bookkeeping, so
        // nothing is raised here: an abort stays recorded for the outer trampoline, and a
        // finalizer's error message is dropped (nobody reads a finalizer's results).
        if (rc == SEPIA_LUA_RAISE) { lua_settop(L, -2); return 0; }
        return rc;
    }
    sepia_lua_collect_near_cap(L, c);
    sepia_lua_check_abort(L, c);
    if (rc == SEPIA_LUA_RAISE) {
        // Where the script called us ("script:12: "), as luaL_error would add it.
        if (lua_type(L, -1) == LUA_TSTRING) {
            luaL_where(L, 1);
            lua_insert(L, -2);
            lua_concat(L, 2);
        } else if (lua_type(L, -1) == LUA_TTABLE) {
            luaL_where(L, 1);
            lua_rawseti(L, -2, 3);
        }
        return lua_error(L);
    }
    return rc;
}

// Pushes a host function as a closure over the trampoline.
static inline void sepia_lua_push_host(lua_State *L, lua_CFunction f, void *runtime) {
    lua_pushlightuserdata(L, (void *)f);
    lua_pushlightuserdata(L, runtime);
    lua_pushcclosure(L, sepia_lua_host_trampoline, 2);
}

static inline void *sepia_lua_host_runtime(lua_State *L) {
    return lua_touserdata(L, lua_upvalueindex(2));
}

// A cls failure is raised as a table {errno, message} with a private metatable, so that
// pcall and the host can tell it from any plain error by identity, not by text.
static inline void sepia_lua_push_cls_error(lua_State *L, int err, const char *msg, size_t len) {
    sepia_lua_ctx *c = sepia_lua_ctx_of(L);
    lua_createtable(L, 2, 0);
    lua_pushinteger(L, err);
    lua_rawseti(L, -2, 1);
    lua_pushlstring(L, msg, len);
    lua_rawseti(L, -2, 2);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->cls_error_mt_ref);
    lua_setmetatable(L, -2);
}

// The errno (positive) of a cls error object at idx, or 0 when the value is something else.
static inline int sepia_lua_cls_errno(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx)) { return 0; }
    sepia_lua_ctx *c = sepia_lua_ctx_of(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->cls_error_mt_ref);
    int same = lua_rawequal(L, -1, -2);
    lua_settop(L, -3);
    if (!same) { return 0; }
    lua_rawgeti(L, idx, 1);
    int err = (int)lua_tointeger(L, -1);
    lua_settop(L, -2);
    return err;
}

// The sandbox's pcall: an abort is re-raised (scripts cannot swallow it); a caught cls
// failure gives false, -errno, message; any other error the usual false, value.
static inline int sepia_lua_pcall_wrapper(lua_State *L) {
    sepia_lua_ctx *c = sepia_lua_ctx_of(L);
    sepia_lua_check_depth(L, c);
    luaL_checkany(L, 1);
    int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    if (status == LUA_ERRMEM && c->abort == SEPIA_ABORT_NONE) { c->abort = SEPIA_ABORT_MEMORY; }
    if (c->abort != SEPIA_ABORT_NONE) { return sepia_lua_raise_abort(L); }
    if (status == 0) {
        lua_pushboolean(L, 1);
        lua_insert(L, 1);
        return lua_gettop(L);
    }
    int err = sepia_lua_cls_errno(L, -1);
    if (err != 0) {
        lua_rawgeti(L, -1, 2);
        lua_pushboolean(L, 0);
        lua_pushinteger(L, -err);
        lua_pushvalue(L, -3);
        return 3;
    }
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

// The sandbox's load/loadstring: text chunks only (bytecode is unverified and can corrupt
// the VM), and the chunk runs in the calling script's environment, never the VM's globals.
static inline int sepia_lua_load_wrapper(lua_State *L) {
    sepia_lua_check_depth(L, sepia_lua_ctx_of(L));
    size_t len = 0;
    const char *src;
    if (lua_type(L, 1) == LUA_TSTRING) {
        src = lua_tolstring(L, 1, &len);
        lua_pushvalue(L, 1);
    } else if (lua_type(L, 1) == LUA_TFUNCTION) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (;;) {
            lua_pushvalue(L, 1);
            lua_call(L, 0, 1);
            if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TSTRING && lua_objlen(L, -1) == 0)) {
                lua_settop(L, -2);
                break;
            }
            if (lua_type(L, -1) != LUA_TSTRING) { return luaL_error(L, "reader function must return a string"); }
            luaL_addvalue(&b);
        }
        luaL_pushresult(&b);
        src = lua_tolstring(L, -1, &len);
    } else {
        return luaL_argerror(L, 1, "string or function expected");
    }
    const char *name = luaL_optstring(L, 2, "=(load)");
    if (len > 0 && (unsigned char)src[0] == 0x1B) {
        lua_pushnil(L);
        lua_pushliteral(L, "attempt to load a binary chunk");
        return 2;
    }
    if (luaL_loadbufferx(L, src, len, name, "t") != 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    sepia_lua_ctx *c = sepia_lua_ctx_of(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->env_ref);
    lua_setfenv(L, -2);
    return 1;
}

// Copies every entry of the table at `from` into the table at `to` (raw, no metamethods).
static inline void sepia_lua_copy_entries(lua_State *L, int from, int to) {
    lua_pushnil(L);
    while (lua_next(L, from) != 0) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, to);
    }
}

// __index of a call's environment (upvalue 1: name -> the library's locked metatable).
// On first use a library becomes an empty table of the call's own whose locked metatable
// indexes the real library: reads fall through, writes (even rawset) stay in the call, and
// the real table is never reachable. It is stored under every name the library has
// (objclass and cls are one table). Costs one small table per library touched.
static inline int sepia_lua_env_index(lua_State *L) {
    // Scripts can reach this function (getmetatable(_G).__index): check what the raw
    // writes below touch, since LuaJIT's API does not.
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));              // 3: the library's metatable, or nil
    if (lua_type(L, 3) != LUA_TTABLE) { return 1; }
    lua_createtable(L, 0, 0);                        // 4: the call's view of the library
    lua_pushvalue(L, 3);
    lua_setmetatable(L, 4);
    lua_pushnil(L);
    while (lua_next(L, lua_upvalueindex(1)) != 0) {
        if (lua_rawequal(L, -1, 3)) {
            lua_pushvalue(L, -2);
            lua_pushvalue(L, 4);
            lua_rawset(L, 1);
        }
        lua_settop(L, -2);
    }
    lua_pushvalue(L, 4);
    return 1;
}

// A fresh environment for one call: the shared plain values, and a metatable of its own
// whose __index (the closure at indexer_idx) makes the libraries' views on first use.
static inline void sepia_lua_new_env(lua_State *L, int plain_idx, int indexer_idx, int size_hint) {
    lua_createtable(L, 0, size_hint);
    int env = lua_gettop(L);
    sepia_lua_copy_entries(L, plain_idx, env);
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, indexer_idx);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, env);
    lua_pushvalue(L, env);
    lua_setfield(L, env, "_G");
}

// Bufferlist storage: a growable byte buffer inside a userdata, its bytes allocated through
// the state's allocator so that they count against the memory cap.
typedef struct sepia_bl {
    size_t len;
    size_t cap;
    unsigned char *data;
    int finalized;  // __gc ran: the userdata may still be reached (a weak-keyed table keeps
                    // finalized keys one more cycle) but its bytes would never be freed again
} sepia_bl;

static inline int sepia_bl_gc(lua_State *L) {
    sepia_bl *b = (sepia_bl *)lua_touserdata(L, 1);
    if (b != NULL && b->data != NULL) {
        void *ud = NULL;
        lua_Alloc f = lua_getallocf(L, &ud);
        f(ud, b->data, b->cap, 0);
        b->data = NULL;
        b->cap = b->len = 0;
    }
    if (b != NULL) { b->finalized = 1; }
    return 0;
}

static inline sepia_bl *sepia_bl_push_new(lua_State *L) {
    sepia_lua_ctx *c = sepia_lua_ctx_of(L);
    sepia_bl *b = (sepia_bl *)lua_newuserdata(L, sizeof(sepia_bl));
    b->len = 0;
    b->cap = 0;
    b->data = NULL;
    b->finalized = 0;
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->bufferlist_mt_ref);
    lua_setmetatable(L, -2);
    return b;
}

// The bufferlist at idx, or NULL when the value is something else or a finalized bufferlist
// (unusable, so nothing can allocate for it again).
static inline sepia_bl *sepia_bl_at(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) { return NULL; }
    sepia_lua_ctx *c = sepia_lua_ctx_of(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->bufferlist_mt_ref);
    int same = lua_rawequal(L, -1, -2);
    lua_settop(L, -3);
    sepia_bl *b = same ? (sepia_bl *)lua_touserdata(L, idx) : NULL;
    return b != NULL && !b->finalized ? b : NULL;
}

// Appends n bytes. Returns 0, or -1 when the system is out of memory.
static inline int sepia_bl_append(lua_State *L, sepia_bl *b, const void *p, size_t n) {
    if (n == 0) { return 0; }
    if (b->len + n > b->cap) {
        size_t ncap = b->cap < 64 ? 64 : b->cap;
        while (ncap < b->len + n) { ncap *= 2; }
        void *ud = NULL;
        lua_Alloc f = lua_getallocf(L, &ud);
        unsigned char *nd = (unsigned char *)f(ud, b->data, b->cap, ncap);
        if (nd == NULL) { return -1; }
        b->data = nd;
        b->cap = ncap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}
#endif
