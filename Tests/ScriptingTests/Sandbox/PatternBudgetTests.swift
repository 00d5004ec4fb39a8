// The sandbox's pattern functions are bounded: a backtracking pattern ends with -ETIMEDOUT
// (kind timeout) at the instruction limit or the deadline, pcall cannot swallow it, nesting
// past 200 levels is an error, and the next call on the same runtime works.
import Codec
import Scripting
import Testing

@Suite struct PatternBudgetTests {
    /// Each line builds its subject, then runs one pathological match.
    static let pathological = [
        // The issue's backtracking pattern: four nested greedy runs that never find the 'b'.
        "local s = ('a'):rep(3000) s:find(('a*'):rep(4) .. 'b')",
        // A lazy run over 1 MB from every start position.
        "local s = ('x'):rep(1048576) s:find('.-y')",
        "local s = ('a'):rep(3000) s:match(('a*'):rep(4) .. 'b')",
        "local s = ('a'):rep(3000) s:gsub(('a-'):rep(4) .. 'b', 'x')",
        "local s = ('a'):rep(3000) for m in s:gmatch(('a*'):rep(4) .. 'b') do end",
        // The abort cannot be caught.
        "local s = ('a'):rep(3000) local ok = pcall(string.find, s, ('a*'):rep(4) .. 'b') while true do end",
        // Back-references and balanced matches count their scans.
        "local s = ('('):rep(200000) s:find('%b()')",
        "local s = ('a'):rep(100000) s:find('(a*)%1b')",
        // The plain search counts too (a million starts, each comparing half a megabyte).
        "local s = ('a'):rep(1048576) local ok = s:find(('a'):rep(524288) .. 'b', 1, true)",
    ]

    @Test(arguments: pathological)
    func endsAtTheInstructionLimit(body: String) {
        expectAborts(body, with: .ETIMEDOUT, .timeout)
    }

    @Test(arguments: pathological.prefix(2))
    func endsAtTheDeadline(body: String) {
        let h = Harness(ScriptingConfig(instructionLimit: 0, timeLimitMillis: 200))
        let o = h.run(body + "\nreturn 0")
        #expect(o.rc == Errno.ETIMEDOUT.rc && o.kind == .timeout, "\(o.rc) \(o.error?.message ?? "")")
        expectHealthy(h)
    }

    /// A request's lower instruction limit applies to the matcher as well.
    @Test func requestLimitBoundsTheMatcher() {
        let h = Harness()
        let context = CallContext(limits: CallLimits(instructions: 200_000))
        let o = h.run("local s = ('a'):rep(100000) s:find('.-b') return 0", context: context)
        #expect(o.rc == Errno.ETIMEDOUT.rc && o.kind == .timeout)
        // The same work fits the configured limit.
        #expect(h.run("local s = ('a'):rep(2000) s:find('.-b') return 0").rc == 0)
    }

    @Test func nestingPastTwoHundredLevelsIsAnError() {
        let h = Harness()
        let o = h.run("""
            local ok, err = pcall(string.find, ('a'):rep(300), ('a?'):rep(300))
            output:append(tostring(ok) .. ' ' .. err)
            return 0
            """)
        #expect(o.rc == 0 && o.text == "false pattern too complex", "\(o.text)")
        let uncaught = h.run("local s = ('a'):rep(300) s:find(('a?'):rep(300)) return 0")
        #expect(uncaught.rc == Errno.EIO.rc && uncaught.kind == .runtime)
        #expect(uncaught.error?.message == "script:2: pattern too complex", "\(uncaught.error?.message ?? "")")
        expectHealthy(h)
    }

    /// The sandbox's functions are the matcher's, with LuaJIT's messages and positions.
    @Test func sandboxFunctionsBehaveAsLuaJIT() {
        let h = Harness()
        let o = h.run("""
            local parts = {}
            local function add(...) local t = {...} for i = 1, select('#', ...) do parts[#parts + 1] = tostring(t[i]) end end
            add(('hello world'):find('o w'))
            add(('hello world'):find('l+'))
            add(('key = value'):match('(%w+)%s*=%s*(%w+)'))
            for k, v in ('a=1, b=2'):gmatch('(%w+)=(%w+)') do add(k, v) end
            add(('hello world'):gsub('(%w+)', '<%1>'))
            add(('abc'):gsub('%w', function(c) return c:upper() .. '.' end, 2))
            add(('$name is $age'):gsub('%$(%w+)', {name = 'Ann', age = 7}))
            add(pcall(string.find, 'a', '%'))
            add(pcall(string.gsub, 'a', '(a)', '%2'))
            add(pcall(string.match, 'a', '(a'))
            output:append(table.concat(parts, ' '))
            return 0
            """)
        #expect(o.rc == 0)
        #expect(o.text == "5 7 3 4 key value a 1 b 2 <hello> <world> 2 A.B.c 2 Ann is 7 2 "
                + "false malformed pattern (ends with '%') false invalid capture index false unfinished capture", "\(o.text)")
        let located = h.run("local x = ('a'):find('[a')\nreturn 0")
        #expect(located.error?.message == "script:2: malformed pattern (missing ']')", "\(located.error?.message ?? "")")
    }

    /// Ordinary heavy use stays far below the default budget.
    @Test func largeButLinearWorkFits() {
        let h = Harness(ScriptingConfig())
        let o = h.run("""
            local s = ('word '):rep(200000)
            local n = select(2, s:gsub('%w+', '%0'))
            local c = 0 for _ in s:gmatch('%a+') do c = c + 1 end
            output:append(n .. ' ' .. c .. ' ' .. tostring(s:find('x', 1, true)))
            return 0
            """)
        #expect(o.rc == 0 && o.text == "200000 200000 nil", "\(o.rc) \(o.text)")
    }
}
