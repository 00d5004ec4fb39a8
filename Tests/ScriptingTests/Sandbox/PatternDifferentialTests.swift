// Sepia's pattern matcher against LuaJIT's own string library: every result, capture and
// error message must be identical, for hand-written cases covering each feature of the
// reference manual's §5.4.1 (and LuaJIT's quirks) and for seeded random patterns and
// subjects. Both run in one plain, unsandboxed state (LuaJIT's functions as `string`, Sepia's
// as `P`, without a budget), called the same way, so messages compare byte for byte.
// SEPIA_PATTERN_SEED / SEPIA_PATTERN_ROUNDS override the generator's seed and size.
import CLuaJIT
import CLuaPattern
import Foundation
import Testing

@Suite struct PatternDifferentialTests {
    /// Runs the comparison script; returns its report ("cases=N mismatches=M" and the first ones).
    static func compare(seed: Int, rounds: Int) throws -> String {
        let L = try #require(luaL_newstate())
        defer { lua_close(L) }
        luaL_openlibs(L)
        sepia_lua_newtable(L)
        sepia_pattern_register(L, -1, nil)
        sepia_lua_setglobal(L, "P")
        lua_pushnumber(L, Double(seed))
        sepia_lua_setglobal(L, "SEED")
        lua_pushnumber(L, Double(rounds))
        sepia_lua_setglobal(L, "ROUNDS")
        let script = Array(Self.script.utf8)
        let status = script.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) { luaL_loadbuffer(L, $0.baseAddress, $0.count, "=differential") }
        }
        #expect(status == 0)
        let rc = lua_pcall(L, 0, 1, 0)
        let report = String(cString: sepia_lua_tostring(L, -1))
        #expect(rc == 0, "\(report)")
        return report
    }

    @Test func sameResultsAsLuaJIT() throws {
        let env = ProcessInfo.processInfo.environment
        let seed = Int(env["SEPIA_PATTERN_SEED"] ?? "") ?? 20_240_601
        let rounds = Int(env["SEPIA_PATTERN_ROUNDS"] ?? "") ?? 20_000
        let report = try Self.compare(seed: seed, rounds: rounds)
        let firstLine = report.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.hasSuffix(" mismatches=0"), "seed \(seed):\n\(report)")
        // The count proves the generator ran: four calls or more per round.
        let cases = Int(firstLine.split(separator: " ").first?.split(separator: "=").last ?? "") ?? 0
        #expect(cases > 4 * rounds)
    }

    /// The comparison script (Lua): hand-written cases, then the seeded generator.
    static let script = #"""
local ref, mine, seed, rounds = string, P, SEED, ROUNDS
local function pack(...) return {n = select('#', ...), ...} end
local function show(r, from)
  local parts = {}
  for i = from, r.n do parts[#parts + 1] = type(r[i]) .. ":" .. tostring(r[i]) end
  return table.concat(parts, ",")
end
local function run(lib, name, args)
  if name == "gmatch" then
    local r = pack(pcall(lib.gmatch, unpack(args, 1, args.n)))
    if not r[1] then return "error:" .. tostring(r[2]) end
    local out = {}
    for _ = 1, 200 do
      local step = pack(pcall(r[2]))
      if not step[1] then out[#out + 1] = "error:" .. tostring(step[2]) break end
      if step.n == 1 or step[2] == nil then out[#out + 1] = "end" break end
      out[#out + 1] = show(step, 2)
    end
    return table.concat(out, ";")
  end
  local r = pack(pcall(lib[name], unpack(args, 1, args.n)))
  if not r[1] then return "error:" .. tostring(r[2]) end
  return show(r, 2)
end

local cases, bad = 0, {}
local function check(name, ...)
  local args = pack(...)
  local a, b = run(ref, name, args), run(mine, name, args)
  cases = cases + 1
  if a ~= b then
    local shown = {}
    for i = 1, args.n do shown[i] = type(args[i]) == "string" and string.format("%q", args[i]) or tostring(args[i]) end
    bad[#bad + 1] = name .. "(" .. table.concat(shown, ", ") .. "): luajit " .. string.format("%q", a) .. " mine " .. string.format("%q", b)
  end
end

local function concat(...) local t = {...} for i = 1, select('#', ...) do t[i] = tostring(t[i]) end return table.concat(t, "|") end
local repl_table = setmetatable({a = "A", b = 7, c = false, ab = {}, ["1"] = "one"}, {__index = function(_, k) if k == "x" then return "X" end end})
local replacements = {
  "<%0>", "%1-%2", "%%", "%", "x%", "%a%", "%3", "", 42, 1.5, concat, repl_table,
  function() return false end, function() return nil end, function() return {} end, function() return 7 end,
}

-- Hand-written cases: every feature of §5.4.1 and the error paths.
local hand = {
  {"hello world", "o"}, {"hello world", "o w"}, {"hello world", "l+"}, {"hello world", "(h)(e)"},
  {"hello", "()ll()"}, {"hello", ""}, {"", ""}, {"", "a*"}, {"abc", "^abc$"}, {"abc", "^b"}, {"abc", "c$"},
  {"a$c", "$c"}, {"a$", "a$$"}, {"x^y", "x^y"}, {"  trim  ", "^%s*(.-)%s*$"}, {"key = value", "(%w+)%s*=%s*(%w+)"},
  {"THE (quick) fox", "%((%a+)%)"}, {"f(a(b)c)d", "%b()"}, {"[[x]]", "%b[]"}, {"aXbXc", "%bXX"}, {"abc", "%b"},
  {"abc", "%ba"}, {"THE (quick) fox", "%f[%a]%a+"}, {"hello world", "%f[%w]%w+%f[%W]"}, {"x", "%f"}, {"x", "%fx"},
  {"abc", "[a-"}, {"abc", "[a"}, {"abc", "[]"}, {"a]c", "[]]"}, {"a]c", "[^]]"}, {"a-c", "[a-]"}, {"a-c", "[-a]"},
  {"abc", "%"}, {"abc", "a%"}, {"abc", "(a"}, {"abc", "a)"}, {"abc", "(a)%2"}, {"abc", "(a)%1"}, {"aa", "(a)%1"},
  {"abab", "(ab)%1"}, {"abc", "%0"}, {"abc", "(()"}, {"abc", "()%1"}, {"abc", "((a)(b))"}, {"a.b", "a.b"},
  {"a.b", "a%.b"}, {"a+b", "a+b"}, {"a+b", "a%+b"}, {"aaa", "a-"}, {"aaa", "a-$"}, {"aaa", "a?a?a?a"},
  {"0x1F", "%x+"}, {"\0a\0", "%z"}, {"\0a\0", "%Z+"}, {"a\0b", "a\0b"}, {"a\0b", "a\0."}, {"a\0b", "a%z"},
  {"a\0b", "[%z]"}, {"ab", "a\0*"}, {"tab\there", "%c"}, {"AbC", "%u%l%u"}, {"a,b;c", "%p"}, {"a b", "%S+"},
  {"x1y2", "%D"}, {"!x!", "%W"}, {"!x!", "%G"}, {"a b", "%g+"}, {"\200\201", "."}, {"\200abc", "%a+"},
  {"caf\233", "%w+"}, {"abc", "[%a-z]"}, {"a-z", "[%a-]"}, {"abc", "[^%a]"}, {"a1", "[%d%a]+"},
  {"abc", ("a?"):rep(250)}, {"abc", ("(a)"):rep(33)}, {"abc", ("()"):rep(32)}, {"abc", ("()"):rep(33)},
  {string.rep("a", 30), ("a*"):rep(4) .. "b"}, {"aaab", "a-b"}, {"[x]", "[[]"}, {"%", "%%"}, {"a", "%a%"},
  {"a", "[%"}, {"a", "[%]"}, {"a", "[%]]"}, {"x", "x**"}, {"x", "*x"}, {"x", "+"}, {"x", "?"}, {"x", "-"},
  {"((()))", "%b()"}, {"(()", "%b()"}, {"a(b", "%b()"}, {"THE END", "%f[%z]"}, {"end", "%f[%z]"},
  {"ab", "%f[a]"}, {"ab", "%f[^a]"}, {"ab", "%f[]"}, {"ab", "%f[%"}, {"abc", "()a()b()c()"},
}
local inits = {nil, 1, 2, 0, -1, -2, -100, 3, 4, 100, 1.9, -1.5, "2", 2^31, 2^32 + 2, -2^31, -2^33, 1/0, -1/0, 0/0, "x", {}}
for _, c in ipairs(hand) do
  local s, p = c[1], c[2]
  for i = 1, #inits + 1 do
    check("find", s, p, inits[i])
    check("match", s, p, inits[i])
  end
  check("find", s, p, 1, true)
  check("find", s, p, 2, 1)
  check("find", s, p, nil, false)
  check("gmatch", s, p)
  for _, r in ipairs(replacements) do
    check("gsub", s, p, r)
    check("gsub", s, p, r, 1)
  end
end
-- Nesting around LuaJIT's limit of 200 levels.
for n = 195, 203 do
  check("find", ("a"):rep(n), ("a?"):rep(n))
  check("match", ("a"):rep(n), ("a?"):rep(n) .. "$")
  check("gsub", ("a"):rep(n), ("a?"):rep(n), "x")
  check("find", ("ab"):rep(n), ("a-b"):rep(n))
  check("find", ("a"):rep(n), ("a*"):rep(n))
end
-- Argument errors and conversions.
check("find") check("find", "a") check("find", nil, "a") check("find", {}, "a") check("find", 12345, 3) check("find", 12.5, ".")
check("match", "a", nil) check("match", 1e100, "%d+") check("gmatch", nil, "a") check("gmatch", "a") check("gmatch", 123, 2)
check("gsub", "a", "a") check("gsub", "a", "a", nil) check("gsub", "a", "a", true) check("gsub", "abc", "%w", "x", "y")
check("gsub", "abc", "%w", "x", 0) check("gsub", "abc", "%w", "x", -1) check("gsub", "abc", "%w", "x", 2.7)
check("gsub", "abc", "%w", "x", 2^32 + 1) check("gsub", "abc", "%w", "x", 1e300) check("gsub", "abc", "", "-")
check("gsub", "abc", "^", "-") check("gsub", "abc", "$", "-") check("gsub", "abc", "^%w", "-") check("gsub", 123, 2, 9)
check("gsub", "abc", "%w", "%9") check("gsub", "abc", "(%w)", "%2") check("gsub", "abc", "(%w", "x") check("gsub", "abc", "()", "%1")
check("gsub", "abc", "()", concat) check("gsub", "hello world", "(%w+)", "<%1>") check("gsub", "abc", ".", {a = 1, b = true})

-- Seeded random patterns and subjects.
local state = seed
local function rnd(n) state = (state * 16807) % 2147483647 return state % n + 1 end
local atoms = {
  "a", "b", "c", "x", ".", "%a", "%d", "%s", "%w", "%x", "%p", "%u", "%l", "%c", "%z", "%g", "%A", "%S", "%W",
  "[ab]", "[^a]", "[a-c]", "[%d_]", "[]]", "[^]a]", "[%a-]", "%.", "%%", "%(", " ", "1", "\0", "\200",
}
local extras = {"(", ")", "()", "%1", "%2", "%b()", "%bab", "%f[%w]", "%f[%W]", "%f[a]", "^", "$", "%", "[", "%f", "[a", "%b"}
local quants = {"", "", "", "*", "+", "-", "?"}
local subject_chars = {"a", "b", "c", "x", "(", ")", " ", "1", "_", "\0", "A", "\200", "%", "]", "-", "\127", "\t", "\n", "Z", "9", "f"}
local function pattern()
  local parts = {}
  if rnd(6) == 1 then parts[1] = "^" end
  for _ = 1, rnd(6) do
    if rnd(5) == 1 then parts[#parts + 1] = extras[rnd(#extras)]
    else parts[#parts + 1] = atoms[rnd(#atoms)] .. quants[rnd(#quants)] end
  end
  if rnd(6) == 1 then parts[#parts + 1] = "$" end
  return table.concat(parts)
end
local function subject()
  local parts = {}
  for _ = 1, rnd(12) - 1 do parts[#parts + 1] = subject_chars[rnd(#subject_chars)] end
  return table.concat(parts)
end
for _ = 1, rounds do
  local s, p = subject(), pattern()
  local init = rnd(4) == 1 and (rnd(15) - 8) or nil
  check("find", s, p, init)
  check("match", s, p, init)
  check("gmatch", s, p)
  check("gsub", s, p, replacements[rnd(#replacements)], rnd(3) == 1 and rnd(4) - 1 or nil)
  if rnd(4) == 1 then check("find", s, p, init, true) end
end

local report = {"cases=" .. cases .. " mismatches=" .. #bad}
for i = 1, math.min(#bad, 40) do report[#report + 1] = bad[i]:sub(1, 400) end
return table.concat(report, "\n")
"""#
}
