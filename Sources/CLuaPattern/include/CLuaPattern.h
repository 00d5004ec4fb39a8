// Sepia's own Lua 5.1 pattern matcher: string.find, match, gmatch and gsub with the results,
// captures and error messages of LuaJIT's string library, but bounded in time. Matching work
// is counted in steps and charged against the running call's instruction budget (one step,
// one instruction), and the deadline is read every 1000 steps; past either, the call ends
// with the same uncatchable abort as the count hook (-ETIMEDOUT, kind timeout). Recursion is
// bounded as LuaJIT bounds it: 200 nested levels, then "pattern too complex".
// docs/decisions/own-pattern-matcher.md explains the design.
#ifndef SEPIA_CLUAPATTERN_H
#define SEPIA_CLUAPATTERN_H

struct lua_State;

// Sets find, match, gmatch and gsub in the table at index `table` of L. `ctx` is the state's
// sepia_lua_ctx (shim.h) whose budget the functions charge, or NULL for unbounded functions
// (a plain state without Sepia's allocator, as the differential tests use).
void sepia_pattern_register(struct lua_State *L, int table, void *ctx);

// Steps the matcher charges as one instruction-budget tick (also how often the deadline is read).
enum { SEPIA_PATTERN_GRANT = 1000 };

#endif
