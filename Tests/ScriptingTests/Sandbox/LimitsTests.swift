// EXT limits, hostile scripts, read-only, and rollback from the caller's view.
import Codec
import Scripting
import Testing

@Suite struct LimitsTests {
    @Test func infiniteLoopTimesOut() {
        let h = Harness()
        let o = h.run("while true do end")
        #expect(o.rc == -110 && o.kind == .timeout)
        expectHealthy(h)
    }

    @Test func pcallCannotSwallowTheAbort() {
        let h = Harness()
        let o = h.run("""
            local n = 0
            while true do
              n = n + 1
              local ok = pcall(function() while true do end end)
              pcall(error, "x")
            end
            """)
        #expect(o.rc == -110)
        expectHealthy(h)
    }

    @Test func wallClockDeadlineTimesOut() {
        let h = Harness(ScriptingConfig(instructionLimit: 0, timeLimitMillis: 50))
        #expect(h.run("while true do end").rc == -110)
        let lowered = h.run("while true do end", context: CallContext(remainingMillis: 0))
        #expect(lowered.rc == -110)
        expectHealthy(h)
    }

    @Test func requestLowersInstructionLimit() {
        let h = Harness()
        let context = CallContext(limits: CallLimits(instructions: 10_000))
        #expect(h.run("for i = 1, 1e6 do end return 0", context: context).rc == -110)
        #expect(h.run("for i = 1, 1e6 do end return 0").rc == 0)
    }

    @Test func stringRepBombIsENOMEM() {
        let h = Harness()
        let o = h.run("local s = string.rep('x', 1e9) return 0")
        #expect(o.rc == -12 && o.kind == .memory)
        expectHealthy(h)
    }

    @Test func tableGrowthBombIsENOMEM() {
        let h = Harness()
        let o = h.run("local t = {} local i = 0 while true do i = i + 1 t[i] = {i} end")
        #expect(o.rc == -12)
        expectHealthy(h)
        #expect(h.runtime.memoryInUse < 4 << 20)
    }

    @Test func memoryBombInsidePcallStillAborts() {
        let h = Harness()
        let o = h.run("local ok = pcall(string.rep, 'x', 1e9) output:append(tostring(ok)) return 0")
        #expect(o.rc == -12)
        expectHealthy(h)
    }

    @Test func bufferlistGrowthCountsAgainstMemory() {
        let h = Harness()
        let o = h.run("local b = bufferlist.new() local s = string.rep('x', 1e6) while true do b:append(s) end")
        #expect(o.rc == -12)
        expectHealthy(h)
    }

    @Test func deepRecursionIsEIO() {
        let h = Harness()
        let o = h.run("local function f(n) return 1 + f(n + 1) end return f(1)")
        #expect(o.rc == -5 && o.kind == .runtime)
        expectHealthy(h)
    }

    @Test func outputCapIsEOVERFLOW() {
        let h = Harness(ScriptingConfig(outputLimitBytes: 100))
        let o = h.run("local s = string.rep('y', 60) output:append(s) pcall(output.append, output, s) return 0")
        #expect(o.rc == -75 && o.kind == .overflow && o.output.count == 60)
        let lowered = h.run("output:append('abcdef') return 0", context: CallContext(limits: CallLimits(outputBytes: 3)))
        #expect(lowered.rc == -75)
        expectHealthy(h)
    }

    @Test func readOnlyWritesAreEROFS() {
        let h = Harness()
        h.put("obj", data: "ro")
        let context = CallContext(readOnly: true)
        let o = h.run("output:append(cls.read(0, 0):str()) cls.write_full(bufferlist.new()) return 0", context: context)
        #expect(o.rc == -30 && o.kind == .readonly && o.text == "ro")
        let caught = h.run("local ok, e = pcall(cls.remove) output:append(e .. '') return 0", context: context)
        #expect(caught.text == "-30")
        #expect(h.store.object("obj")?.data == Bytes(utf8: "ro"))
    }

    @Test func hugeConfiguredLimitsAreFine() {
        let h = Harness(ScriptingConfig(instructionLimit: .max, timeLimitMillis: .max, memoryLimitBytes: .max,
                                        outputLimitBytes: .max))
        #expect(h.run("output:append('x') return 0").rc == 0)
    }

    @Test func abortedCallWritesAreDiscarded() {
        let h = Harness()
        let o = h.exec("cls.map_set_val('k', bufferlist.new())\nfunction h() cls.create(false) while true do end end\ncls.register(h)")
        #expect(o.rc == -110 && h.store.object("obj") == nil)
    }
}

@Suite struct MemoryAccountingTests {
    /// Garbage is not live memory: churning far more than the cap in short-lived objects
    /// must not hit ENOMEM.
    @Test func garbageChurnStaysUnderTheCap() {
        let h = Harness(ScriptingConfig(instructionLimit: 0, memoryLimitBytes: 4 << 20))
        let tables = h.run("for i = 1, 300000 do local t = {i, i, i, i} end return 0")
        #expect(tables.rc == 0, "\(String(describing: tables.error))")
        let strings = h.run("local s = string.rep('x', 100000) for i = 1, 300 do local c = s .. i end return 0")
        #expect(strings.rc == 0, "\(String(describing: strings.error))")
        let buffers = h.run("for i = 1, 2000 do local b = bufferlist.new() b:append(string.rep('y', 10000)) end return 0")
        #expect(buffers.rc == 0, "\(String(describing: buffers.error))")
    }
}
