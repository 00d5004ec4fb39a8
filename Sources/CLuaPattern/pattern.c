// Lua 5.1 patterns (reference manual §5.4.1) as LuaJIT 2.1 implements them, written for
// Sepia with a step budget. Behaviour that scripts can observe follows LuaJIT exactly, quirks
// included: a pattern ends at its first NUL byte (LuaJIT reads patterns as C strings), string.find
// takes the plain path when the whole pattern, NULs and all, has no special character, the init
// argument is converted to a 32-bit integer, %g is a class, classes are ASCII only, a '%' at the
// end of a gsub replacement adds a NUL byte, and nesting deeper than 200 levels is
// "pattern too complex".
//
// Work is counted in steps: one per matcher entry, per subject byte a pattern item tests,
// per start position tried, plus a share of any long scan (sets, back-references, plain
// search, replacement text). Steps are drawn from a local grant; when it is spent, the grant
// is charged to the call's instruction counter and the deadline is read (sepia_lua_charge in
// shim.h), which aborts the call like the count hook does. Nothing here holds memory outside
// the Lua state, so the abort (a Lua error) may unwind these frames at any step.
#include "CLuaPattern.h"
#include "../CLuaJIT/shim.h"

#define PM_MAX_DEPTH 200
#define PM_MAX_CAPTURES LUA_MAXCAPTURES
#define PM_UNFINISHED (-1)
#define PM_POSITION (-2)
#define PM_SPECIALS "^$*+?.([%-"

typedef struct pm_state {
    const char *src_init;       // subject (NUL-terminated, as every Lua string)
    const char *src_end;        // its end
    lua_State *L;
    sepia_lua_ctx *ctx;         // budget to charge, or NULL
    int64_t fuel;               // steps left of the current grant
    int level;                  // captures opened so far (finished or not)
    int depth;                  // nested matcher calls
    struct { const char *init; ptrdiff_t len; } capture[PM_MAX_CAPTURES];
} pm_state;

// ---------------------------------------------------------------------------------------
// The budget.

static void pm_refuel(pm_state *ms) {
    int64_t used = SEPIA_PATTERN_GRANT - ms->fuel;
    ms->fuel = SEPIA_PATTERN_GRANT;
    if (ms->ctx != NULL) { sepia_lua_charge(ms->L, ms->ctx, (uint64_t)used); }
}

static inline void pm_step(pm_state *ms, int64_t n) {
    ms->fuel -= n;
    if (ms->fuel < 0) { pm_refuel(ms); }
}

// Charges what the current grant has used so far, without checking the limits (the next
// tick does): short calls are not free.
static void pm_settle(pm_state *ms) {
    if (ms->ctx != NULL && ms->ctx->enforce && ms->ctx->abort == SEPIA_ABORT_NONE) {
        ms->ctx->instructions += (uint64_t)(SEPIA_PATTERN_GRANT - ms->fuel);
    }
    ms->fuel = SEPIA_PATTERN_GRANT;
}

static void pm_init(pm_state *ms, lua_State *L, sepia_lua_ctx *ctx, const char *s, size_t len) {
    ms->L = L;
    ms->ctx = ctx;
    ms->src_init = s;
    ms->src_end = s + len;
    ms->fuel = SEPIA_PATTERN_GRANT;
    ms->level = 0;
    ms->depth = 0;
}

static sepia_lua_ctx *pm_ctx(lua_State *L) {
    return (sepia_lua_ctx *)lua_touserdata(L, lua_upvalueindex(1));
}

// ---------------------------------------------------------------------------------------
// Single characters, classes and sets.

// ASCII classes as bits per byte (bytes from 128 are in no class).
enum { PM_ALPHA = 1, PM_CNTRL = 2, PM_DIGIT = 4, PM_GRAPH = 8, PM_LOWER = 16, PM_PUNCT = 32,
       PM_SPACE = 64, PM_UPPER = 128, PM_XDIGIT = 256 };
#define PM_P (PM_PUNCT | PM_GRAPH)
static const unsigned short pm_ctype[256] = {
    [0 ... 31] = PM_CNTRL, [127] = PM_CNTRL,
    ['\t' ... '\r'] = PM_CNTRL | PM_SPACE, [' '] = PM_SPACE,
    ['!' ... '/'] = PM_P, [':' ... '@'] = PM_P, ['[' ... '`'] = PM_P, ['{' ... '~'] = PM_P,
    ['0' ... '9'] = PM_DIGIT | PM_XDIGIT | PM_GRAPH,
    ['A' ... 'F'] = PM_ALPHA | PM_UPPER | PM_XDIGIT | PM_GRAPH, ['G' ... 'Z'] = PM_ALPHA | PM_UPPER | PM_GRAPH,
    ['a' ... 'f'] = PM_ALPHA | PM_LOWER | PM_XDIGIT | PM_GRAPH, ['g' ... 'z'] = PM_ALPHA | PM_LOWER | PM_GRAPH,
};
// The class of each escape letter (%a..%x; %z is handled apart), 0 for none.
static const unsigned short pm_letter[26] = {
    ['a' - 'a'] = PM_ALPHA, ['c' - 'a'] = PM_CNTRL, ['d' - 'a'] = PM_DIGIT, ['g' - 'a'] = PM_GRAPH,
    ['l' - 'a'] = PM_LOWER, ['p' - 'a'] = PM_PUNCT, ['s' - 'a'] = PM_SPACE, ['u' - 'a'] = PM_UPPER,
    ['w' - 'a'] = PM_ALPHA | PM_DIGIT, ['x' - 'a'] = PM_XDIGIT,
};

// Does byte c match the escape %cl? A class letter, its upper-case complement, or the
// character itself.
static int pm_class(int c, int cl) {
    int lower = cl | 0x20;
    if (lower >= 'a' && lower <= 'z') {
        int in;
        if (lower == 'z') {
            in = c == 0;
        } else if (pm_letter[lower - 'a'] != 0) {
            in = (pm_ctype[c] & pm_letter[lower - 'a']) != 0;
        } else {
            return cl == c;
        }
        return cl == lower ? in : !in;
    }
    return cl == c;
}

// p points at '[', close at the set's ']'.
static int pm_set(int c, const char *p, const char *close) {
    int hit = 1;
    if (p[1] == '^') {
        hit = 0;
        p++;
    }
    for (p++; p < close; p++) {
        if (*p == '%') {
            p++;
            if (pm_class(c, (unsigned char)*p)) { return hit; }
        } else if (p[1] == '-' && p + 2 < close) {
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) { return hit; }
            p += 2;
        } else if ((unsigned char)*p == c) {
            return hit;
        }
    }
    return !hit;
}

// The end of the single-character class at p (past a '%x' escape or a '[...]' set).
static const char *pm_class_end(pm_state *ms, const char *p) {
    const char *start = p;
    char c = *p++;
    if (c == '%') {
        if (*p == '\0') { luaL_error(ms->L, "malformed pattern (ends with '%%')"); }
        return p + 1;
    }
    if (c != '[') { return p; }
    if (*p == '^') { p++; }
    do {
        if (*p == '\0') { luaL_error(ms->L, "malformed pattern (missing ']')"); }
        c = *p++;
        if (c == '%' && *p != '\0') { p++; }
    } while (*p != ']');
    pm_step(ms, (p - start) >> 5);
    return p + 1;
}

// Does byte c match the class from p to ep (its end)?
static int pm_single(pm_state *ms, int c, const char *p, const char *ep) {
    switch (*p) {
    case '.': return 1;
    case '%': return pm_class(c, (unsigned char)p[1]);
    case '[':
        pm_step(ms, (ep - p) >> 5);
        return pm_set(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

// ---------------------------------------------------------------------------------------
// The matcher: returns the end of the match of p at s, or NULL.

static const char *pm_match(pm_state *ms, const char *s, const char *p);

static const char *pm_balance(pm_state *ms, const char *s, const char *p) {
    if (p[0] == '\0' || p[1] == '\0') { luaL_error(ms->L, "unbalanced pattern"); }
    if (*s != p[0]) { return NULL; }
    int open = p[0], close = p[1], nesting = 1;
    const char *start = s;
    while (++s < ms->src_end) {
        if (*s == close) {
            if (--nesting == 0) {
                pm_step(ms, s - start);
                return s + 1;
            }
        } else if (*s == open) {
            nesting++;
        }
    }
    pm_step(ms, s - start);
    return NULL;
}

// Greedy repetition of the class p..ep: the longest run first, then shorter ones.
static const char *pm_expand_max(pm_state *ms, const char *s, const char *p, const char *ep) {
    ptrdiff_t n = 0;
    while (s + n < ms->src_end && pm_single(ms, (unsigned char)s[n], p, ep)) {
        n++;
        pm_step(ms, 1);
    }
    for (; n >= 0; n--) {
        const char *r = pm_match(ms, s + n, ep + 1);
        if (r != NULL) { return r; }
    }
    return NULL;
}

// Lazy repetition: the shortest run first.
static const char *pm_expand_min(pm_state *ms, const char *s, const char *p, const char *ep) {
    for (;;) {
        const char *r = pm_match(ms, s, ep + 1);
        if (r != NULL) { return r; }
        if (s < ms->src_end && pm_single(ms, (unsigned char)*s, p, ep)) {
            s++;
        } else {
            return NULL;
        }
    }
}

static const char *pm_open(pm_state *ms, const char *s, const char *p, ptrdiff_t kind) {
    if (ms->level >= PM_MAX_CAPTURES) { luaL_error(ms->L, "too many captures"); }
    ms->capture[ms->level].init = s;
    ms->capture[ms->level].len = kind;
    ms->level++;
    const char *r = pm_match(ms, s, p);
    if (r == NULL) { ms->level--; }
    return r;
}

static const char *pm_close(pm_state *ms, const char *s, const char *p) {
    int l = ms->level - 1;
    while (l >= 0 && ms->capture[l].len != PM_UNFINISHED) { l--; }
    if (l < 0) { luaL_error(ms->L, "invalid pattern capture"); }
    ms->capture[l].len = s - ms->capture[l].init;
    const char *r = pm_match(ms, s, p);
    if (r == NULL) { ms->capture[l].len = PM_UNFINISHED; }
    return r;
}

// %1..%9: the text of a finished capture again.
static const char *pm_backref(pm_state *ms, const char *s, int digit) {
    int l = digit - '1';
    if (l < 0 || l >= ms->level || ms->capture[l].len == PM_UNFINISHED) {
        luaL_error(ms->L, "invalid capture index");
    }
    size_t len = (size_t)ms->capture[l].len;  // a position capture is huge here, and never matches
    if ((size_t)(ms->src_end - s) < len) { return NULL; }
    pm_step(ms, (int64_t)(len >> 5));
    return memcmp(ms->capture[l].init, s, len) == 0 ? s + len : NULL;
}

static const char *pm_match(pm_state *ms, const char *s, const char *p) {
    if (++ms->depth > PM_MAX_DEPTH) { luaL_error(ms->L, "pattern too complex"); }
    for (;;) {
        pm_step(ms, 1);
        switch (*p) {
        case '\0':
            goto done;
        case '(':
            s = p[1] == ')' ? pm_open(ms, s, p + 2, PM_POSITION) : pm_open(ms, s, p + 1, PM_UNFINISHED);
            goto done;
        case ')':
            s = pm_close(ms, s, p + 1);
            goto done;
        case '$':
            if (p[1] != '\0') { break; }
            if (s != ms->src_end) { s = NULL; }
            goto done;
        case '%':
            if (p[1] == 'b') {
                s = pm_balance(ms, s, p + 2);
                if (s == NULL) { goto done; }
                p += 4;
                continue;
            }
            if (p[1] == 'f') {
                p += 2;
                if (*p != '[') { luaL_error(ms->L, "missing '[' after '%%f' in pattern"); }
                const char *ep = pm_class_end(ms, p);
                int before = s == ms->src_init ? 0 : (unsigned char)s[-1];
                if (pm_set(before, p, ep - 1) || !pm_set((unsigned char)*s, p, ep - 1)) {
                    s = NULL;
                    goto done;
                }
                p = ep;
                continue;
            }
            if (p[1] >= '0' && p[1] <= '9') {
                s = pm_backref(ms, s, (unsigned char)p[1]);
                if (s == NULL) { goto done; }
                p += 2;
                continue;
            }
            break;
        default:
            break;
        }
        // A single-character class, maybe with a repetition suffix.
        const char *ep = pm_class_end(ms, p);
        int hit = s < ms->src_end && pm_single(ms, (unsigned char)*s, p, ep);
        switch (*ep) {
        case '?': {
            const char *r;
            if (hit && (r = pm_match(ms, s + 1, ep + 1)) != NULL) {
                s = r;
                goto done;
            }
            p = ep + 1;
            continue;
        }
        case '*':
            s = pm_expand_max(ms, s, p, ep);
            goto done;
        case '+':
            s = hit ? pm_expand_max(ms, s + 1, p, ep) : NULL;
            goto done;
        case '-':
            s = pm_expand_min(ms, s, p, ep);
            goto done;
        default:
            if (!hit) {
                s = NULL;
                goto done;
            }
            s++;
            p = ep;
            continue;
        }
    }
done:
    ms->depth--;
    return s;
}

// ---------------------------------------------------------------------------------------
// Captures onto the Lua stack.

static void pm_push_capture(pm_state *ms, int i, const char *s, const char *e) {
    if (i >= ms->level) {
        if (i != 0) { luaL_error(ms->L, "invalid capture index"); }
        lua_pushlstring(ms->L, s, (size_t)(e - s));  // no captures: the whole match
        return;
    }
    ptrdiff_t len = ms->capture[i].len;
    if (len == PM_UNFINISHED) { luaL_error(ms->L, "unfinished capture"); }
    if (len == PM_POSITION) {
        lua_pushinteger(ms->L, ms->capture[i].init - ms->src_init + 1);
    } else {
        lua_pushlstring(ms->L, ms->capture[i].init, (size_t)len);
    }
}

// Every capture, or the whole match when there are none and s is given.
static int pm_push_captures(pm_state *ms, const char *s, const char *e) {
    int n = (ms->level == 0 && s != NULL) ? 1 : ms->level;
    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++) { pm_push_capture(ms, i, s, e); }
    return n;
}

// ---------------------------------------------------------------------------------------
// The library functions.

// LuaJIT converts integer arguments to 32 bits by truncation (x86-64: out of range is INT_MIN).
static int32_t pm_opt_int32(lua_State *L, int arg, int32_t def) {
    if (lua_isnoneornil(L, arg)) { return def; }
    lua_Number n = luaL_checknumber(L, arg);
    if (n > -2147483649.0 && n < 2147483648.0) { return (int32_t)n; }
    return INT32_MIN;
}

static int pm_has_specials(const char *p, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (p[i] != '\0' && strchr(PM_SPECIALS, p[i]) != NULL) { return 1; }
    }
    return 0;
}

// Plain search of f (flen bytes) in s (slen bytes).
static const char *pm_plain_find(pm_state *ms, const char *s, size_t slen, const char *f, size_t flen) {
    if (flen == 0) { return s; }
    if (flen > slen) { return NULL; }
    const char *last = s + (slen - flen);  // the last start that fits
    const char *at = s;
    while (at <= last) {
        const char *q = (const char *)memchr(at, f[0], (size_t)(last - at) + 1);
        pm_step(ms, ((q != NULL ? q : last) - at) >> 6);
        if (q == NULL) { return NULL; }
        pm_step(ms, 1 + (int64_t)(flen >> 6));
        if (memcmp(q + 1, f + 1, flen - 1) == 0) { return q; }
        at = q + 1;
    }
    return NULL;
}

static int pm_find_aux(lua_State *L, int find) {
    size_t slen, plen;
    const char *s = luaL_checklstring(L, 1, &slen);
    const char *p = luaL_checklstring(L, 2, &plen);
    int32_t start = pm_opt_int32(L, 3, 1);
    if (start < 0) { start += (int32_t)slen; } else { start--; }
    if (start < 0) { start = 0; }
    size_t st = (size_t)(uint32_t)start;
    if (st > slen) { st = slen; }
    pm_state ms;
    pm_init(&ms, L, pm_ctx(L), s, slen);
    if (find && (lua_toboolean(L, 4) || !pm_has_specials(p, plen))) {
        const char *q = pm_plain_find(&ms, s + st, slen - st, p, plen);
        pm_settle(&ms);
        if (q != NULL) {
            lua_pushinteger(L, (q - s) + 1);
            lua_pushinteger(L, (q - s) + (ptrdiff_t)plen);
            return 2;
        }
    } else {
        int anchored = *p == '^';
        if (anchored) { p++; }
        const char *at = s + st;
        do {
            ms.level = ms.depth = 0;
            pm_step(&ms, 1);
            const char *e = pm_match(&ms, at, p);
            if (e != NULL) {
                pm_settle(&ms);
                if (find) {
                    lua_pushinteger(L, (at - s) + 1);
                    lua_pushinteger(L, e - s);
                    return pm_push_captures(&ms, NULL, NULL) + 2;
                }
                return pm_push_captures(&ms, at, e);
            }
        } while (at++ < ms.src_end && !anchored);
        pm_settle(&ms);
    }
    lua_pushnil(L);
    return 1;
}

static int pm_find(lua_State *L) { return pm_find_aux(L, 1); }

static int pm_match_fn(lua_State *L) { return pm_find_aux(L, 0); }

// The gmatch iterator. Upvalues: 1 budget, 2 subject, 3 pattern, 4 next start offset.
static int pm_gmatch_next(lua_State *L) {
    size_t slen;
    const char *s = lua_tolstring(L, lua_upvalueindex(2), &slen);
    const char *p = lua_tolstring(L, lua_upvalueindex(3), NULL);
    size_t pos = (size_t)lua_tonumber(L, lua_upvalueindex(4));
    pm_state ms;
    pm_init(&ms, L, pm_ctx(L), s, slen);
    for (const char *at = s + pos; at <= ms.src_end; at++) {
        ms.level = ms.depth = 0;
        pm_step(&ms, 1);
        const char *e = pm_match(&ms, at, p);
        if (e != NULL) {
            pm_settle(&ms);
            size_t next = (size_t)(e - s) + (e == at ? 1 : 0);  // an empty match moves on one
            lua_pushnumber(L, (lua_Number)next);
            lua_replace(L, lua_upvalueindex(4));
            return pm_push_captures(&ms, at, e);
        }
    }
    pm_settle(&ms);
    return 0;
}

static int pm_gmatch(lua_State *L) {
    luaL_checklstring(L, 1, NULL);
    luaL_checklstring(L, 2, NULL);
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_pushnumber(L, 0);
    lua_pushcclosure(L, pm_gmatch_next, 4);
    return 1;
}

// A string replacement: %0 the match, %1..%9 captures, % before anything else that character.
static void pm_add_string(pm_state *ms, luaL_Buffer *b, const char *s, const char *e) {
    size_t len;
    const char *r = lua_tolstring(ms->L, 3, &len);
    pm_step(ms, 1 + (int64_t)(len >> 5));
    for (size_t i = 0; i < len; i++) {
        if (r[i] != '%') {
            luaL_addchar(b, r[i]);
            continue;
        }
        i++;  // r[len] is the string's NUL: a final '%' adds it, as LuaJIT does
        if (r[i] < '0' || r[i] > '9') {
            luaL_addchar(b, r[i]);
        } else if (r[i] == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else {
            pm_push_capture(ms, r[i] - '1', s, e);
            luaL_addvalue(b);
        }
    }
}

static void pm_add_value(pm_state *ms, luaL_Buffer *b, const char *s, const char *e) {
    lua_State *L = ms->L;
    switch (lua_type(L, 3)) {
    case LUA_TFUNCTION: {
        lua_pushvalue(L, 3);
        int n = pm_push_captures(ms, s, e);
        lua_call(L, n, 1);
        break;
    }
    case LUA_TTABLE:
        pm_push_capture(ms, 0, s, e);
        lua_gettable(L, 3);
        break;
    default:  // a string or a number
        pm_add_string(ms, b, s, e);
        return;
    }
    if (!lua_toboolean(L, -1)) {
        lua_settop(L, -2);
        lua_pushlstring(L, s, (size_t)(e - s));  // false or nil: keep the match
    } else if (!lua_isstring(L, -1)) {
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    }
    luaL_addvalue(b);
}

static int pm_gsub(lua_State *L) {
    sepia_lua_ctx *ctx = pm_ctx(L);
    // A function or table replacement calls back into Lua from here: bound the C stack.
    if (ctx != NULL) { sepia_lua_check_depth(L, ctx); }
    size_t slen;
    const char *src = luaL_checklstring(L, 1, &slen);
    const char *p = luaL_checklstring(L, 2, NULL);
    int type = lua_type(L, 3);
    int max = luaL_optint(L, 4, (int)(slen + 1));
    int anchored = *p == '^';
    if (anchored) { p++; }
    if (type != LUA_TNUMBER && type != LUA_TSTRING && type != LUA_TFUNCTION && type != LUA_TTABLE) {
        luaL_argerror(L, 3, "string/function/table expected");
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    pm_state ms;
    pm_init(&ms, L, ctx, src, slen);
    int n = 0;
    while (n < max) {
        ms.level = ms.depth = 0;
        pm_step(&ms, 1);
        const char *e = pm_match(&ms, src, p);
        if (e != NULL) {
            n++;
            pm_add_value(&ms, &b, src, e);
        }
        if (e != NULL && e > src) {
            src = e;
        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchored) { break; }
    }
    pm_settle(&ms);
    luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
    luaL_pushresult(&b);
    lua_pushinteger(L, n);
    return 2;
}

void sepia_pattern_register(struct lua_State *L, int table, void *ctx) {
    static const struct { const char *name; lua_CFunction f; } functions[] = {
        {"find", pm_find}, {"match", pm_match_fn}, {"gmatch", pm_gmatch}, {"gsub", pm_gsub},
    };
    if (table < 0 && table > LUA_REGISTRYINDEX) { table = lua_gettop(L) + table + 1; }
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
        lua_pushlightuserdata(L, ctx);
        lua_pushcclosure(L, functions[i].f, 1);
        lua_setfield(L, table, functions[i].name);
    }
}
