// docs/scripting.md "Sandbox", plus hostile scripts: each ends with its documented
// errno and the next call on the same runtime is correct.
import CLuaJIT
import Codec
import Scripting
import Testing

@Suite struct SandboxTests {
    @Test(arguments: ["io", "os", "debug", "package", "require", "ffi", "jit", "coroutine", "utf8",
                      "dofile", "loadfile", "xpcall", "getfenv", "setfenv", "newproxy", "module"])
    func absentNames(name: String) {
        let h = Harness()
        #expect(h.run("output:append(type(\(name))) return 0").text == "nil")
        #expect(h.run("return \(name).x").rc == -5)
        expectHealthy(h)
    }

    @Test func openLibrariesPresent() {
        let o = Harness().run("""
            output:append(type(string.format) .. type(table.concat) .. type(math.floor) .. type(bit.band)
              .. type(cmsgpack.pack) .. type(bufferlist.new) .. type(print) .. type(load) .. type(loadstring)
              .. type(string.dump) .. type(pcall))
            return 0
            """)
        #expect(o.text == "functionfunctionfunctionfunctionfunctionfunctionfunctionfunctionfunctionnilfunction")
    }

    @Test func loadRefusesBytecodeAndRunsInTheCallsEnvironment() {
        let h = Harness()
        let o = h.run("""
            local f, err = loadstring("\\27LJ\\2\\0garbage")
            output:append(tostring(f) .. ':' .. err)
            local g = load("mine = 5 return io")
            output:append(':' .. tostring(g()) .. ':' .. mine)
            local parts = {"return ", "1 + 1"} local i = 0
            local k = load(function() i = i + 1 return parts[i] end)
            output:append(':' .. k())
            return 0
            """)
        #expect(o.rc == 0 && o.text == "nil:attempt to load a binary chunk:nil:5:2")
        expectHealthy(h)
    }

    @Test func bytecodeScriptIsRefused() {
        let h = Harness()
        let o = h.exec(.source([0x1B, 0x4C, 0x4A, 0x02, 0x00, 0x41]), handler: "h", input: [])
        #expect(o.rc == -5 && o.kind == .compile)
        expectHealthy(h)
    }

    @Test func globalsOfOneCallInvisibleToNext() {
        let h = Harness()
        h.run("secret = 1 string.evil = function() return 'x' end table.concat = nil return 0")
        let o = h.run("output:append(tostring(secret) .. tostring(string.evil) .. type(table.concat)) return 0")
        #expect(o.text == "nilnilfunction")
    }

    @Test func stringMetatableCannotBePoisoned() {
        let h = Harness()
        let o = h.run("""
            output:append(tostring(getmetatable('')))
            local ok = pcall(function() getmetatable('').__index = {upper = function() return 'pwned' end} end)
            string.upper = function() return 'pwned' end
            rawset(string, 'lower', function() return 'pwned' end)
            return 0
            """)
        #expect(o.rc == 0 && o.text == "false")
        let next = h.run("output:append(('a'):upper() .. string.upper('b') .. ('C'):lower()) return 0")
        #expect(next.text == "ABc")
        #expect(h.run("output:append(tostring(('x').dump)) return 0").text == "nil")
    }

    @Test func environmentIndexerRejectsNonTables() {
        let h = Harness()
        let o = h.run("""
            local copy = {}
            local s = getmetatable(_G).__index(copy, "string")
            output:append(type(s.upper) .. tostring(rawequal(copy.string, s)))
            return getmetatable(_G).__index("not a table", "string")
            """)
        #expect(o.rc == -5 && o.text == "functiontrue")
        expectHealthy(h)
    }

    @Test func printGoesToTheLogNotStdout() {
        let box = LogBox()
        let o = Harness().run("print('to log') return 0", context: CallContext(wantLogs: true, log: { box.add($0) }))
        #expect(o.logs == ["to log"] && box.records.first?.source == .print)
    }

    @Test func collectgarbageStopDoesNotOutliveCall() {
        let h = Harness()
        h.run("collectgarbage('stop') return 0")
        expectHealthy(h)
        #expect(h.run("local t = {} for i = 1, 1e5 do t[i % 10] = {} end return 0").rc == 0)
    }
}

@Suite struct ModuleHookTests {
    @Test func registeredModuleIsInEveryCallAndProtected() {
        let h = Harness()
        h.runtime.registerModule("demo", functions: [("answer", { L in
            lua_pushnumber(L, 42)
            return 1
        })])
        #expect(h.run("output:append(demo.answer() .. '') demo.answer = nil return 0").text == "42")
        #expect(h.run("return demo.answer()").rc == 42)
    }
}
