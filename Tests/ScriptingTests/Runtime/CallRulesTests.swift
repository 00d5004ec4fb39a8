// docs/scripting.md "Names", "One call", "Errors and pcall": one test per rule.
import Codec
import Scripting
import Testing

@Suite struct NamesTests {
    @Test func moduleHasBothNames() {
        let h = Harness()
        let o = h.run("output:append(tostring(rawequal(cls, objclass)) .. type(cls.read))\nreturn 0")
        #expect(o.rc == 0 && o.text == "truefunction")
    }

    @Test func errnoConstantsExactlyAsListed() {
        let listed: [(String, Int)] = [("EPERM", 1), ("ENOENT", 2), ("ESRCH", 3), ("EINTR", 4), ("EIO", 5),
            ("ENXIO", 6), ("E2BIG", 7), ("ENOEXEC", 8), ("EBADF", 9), ("ECHILD", 10), ("EAGAIN", 11),
            ("ENOMEM", 12), ("EACCES", 13), ("EFAULT", 14), ("EBUSY", 16), ("EEXIST", 17), ("EXDEV", 18),
            ("ENODEV", 19), ("ENOTDIR", 20), ("EISDIR", 21), ("EINVAL", 22), ("ENFILE", 23), ("EMFILE", 24),
            ("ENOTTY", 25), ("EFBIG", 27), ("ENOSPC", 28), ("ESPIPE", 29), ("EROFS", 30), ("EMLINK", 31),
            ("EPIPE", 32), ("EDOM", 33), ("ERANGE", 34)]
        let h = Harness()
        let checks = listed.map { "assert(cls.\($0.0) == \($0.1), '\($0.0)')" }.joined(separator: "\n")
        let others = Errno.allCases.map(\.name).filter { name in !listed.contains { $0.0 == name } }
        let absent = others.map { "assert(cls.\($0) == nil and objclass.\($0) == nil, '\($0)')" }.joined(separator: "\n")
        let o = h.run("""
            \(checks)
            \(absent)
            assert(cls.ENODATA == nil and cls.EOPNOTSUPP == nil)
            return -cls.ENOENT
            """)
        #expect(o.rc == -2, "\(String(describing: o.error))")
        #expect(o.kind == .rc)
    }
}

@Suite struct OneCallTests {
    @Test func syntaxErrorIsEIOCompile() {
        let o = Harness().exec("function h(\n  x = = 1")
        #expect(o.rc == -5 && o.kind == .compile && o.error?.line == 2)
    }

    @Test func topLevelRunsInFreshEnvironmentAndClsWorksThere() {
        let h = Harness()
        let o = h.exec("cls.write_full(bufferlist.new())\nleaked = 1\nfunction h(i, o) return 0 end\ncls.register(h)")
        #expect(o.rc == 0 && h.store.object("obj") != nil)
        let o2 = h.run("output:append(tostring(leaked))\nreturn 0")
        #expect(o2.text == "nil")
    }

    @Test func emptyHandlerNameRunsScriptOnly() {
        let h = Harness()
        let o = h.exec("local b = bufferlist.new() b:append('x') cls.write_full(b)", handler: "")
        #expect(o.rc == 0 && o.output.isEmpty)
        #expect(h.store.object("obj")?.data == Bytes(utf8: "x"))
    }

    @Test func handlerNotAFunctionIsEOPNOTSUPP() {
        let h = Harness()
        #expect(h.exec("h = 3", handler: "h").rc == -95)
        let o = h.exec("x = 1", handler: "missing")
        #expect(o.rc == -95 && o.kind == .handler)
    }

    @Test func unregisteredFunctionIsEIO() {
        let o = Harness().exec("function h() return 0 end")
        #expect(o.rc == -5 && o.kind == .unregistered)
    }

    @Test func aliasOfRegisteredFunctionWorks() {
        let o = Harness().exec("function f() return 7 end\ncls.register(f)\nh = f")
        #expect(o.rc == 7)
    }

    @Test func registerTwiceOrNonFunctionIsEIO() {
        let h = Harness()
        #expect(h.exec("function h() return 0 end\ncls.register(h)\ncls.register(h)").rc == -5)
        #expect(h.exec("function h() return 0 end\ncls.register(h)\ncls.register(1)").rc == -5)
    }

    @Test func handlerGetsInputAndOutputBufferlists() {
        let o = Harness().run("output:append(input:str() .. '!')\nreturn #input", input: "abc")
        #expect(o.rc == 3 && o.text == "abc!")
    }

    @Test(arguments: [
        ("return", Int32(0)), ("return 5", 5), ("return 1, 2, 9", 9), ("return 3.9", 3), ("return -2.5", -2),
        ("return '12'", 12), ("return nil", -5), ("return {}", -5), ("return true", -5), ("return 'abc'", -5),
        ("return 4294967297", 1),
    ])
    func returnValueRules(body: String, rc: Int32) {
        #expect(Harness().run(body).rc == rc)
    }

    @Test func luaErrorIsEIOWithLine() {
        let h = Harness()
        let o = h.run("local x = nil\nreturn x.y")
        #expect(o.rc == -5 && o.kind == .runtime && o.error?.line == 3)
        #expect(h.run("error({})").rc == -5)
        #expect(h.run("error('boom')").rc == -5)
    }

    @Test func uncaughtClsFailureGivesItsErrno() {
        let o = Harness().run("cls.stat()\nreturn 0", oid: "missing")
        #expect(o.rc == -2 && o.kind == .cls && o.error?.message == "No such file or directory")
        #expect(o.error?.line == 2)
    }

    @Test func negativeRcDiscardsAllWritesIncludingTopLevel() {
        let h = Harness()
        let o = h.exec("""
            cls.map_set_val("top", bufferlist.new())
            function h(i, o) local b = bufferlist.new() b:append("x") cls.write_full(b) o:append("kept") return -cls.EINVAL end
            cls.register(h)
            """)
        #expect(o.rc == -22 && o.text == "kept")
        #expect(h.store.object("obj") == nil)
    }

    @Test func nonNegativeRcAppliesAllWritesAndPositiveRcPassesThrough() {
        let h = Harness()
        let o = h.exec("""
            cls.map_set_val("top", bufferlist.new())
            function h(i, o) local b = bufferlist.new() b:append("x") cls.write_full(b) o:append("out") return 42 end
            cls.register(h)
            """)
        #expect(o.rc == 42 && o.text == "out")
        #expect(h.store.object("obj")?.data == Bytes(utf8: "x"))
        #expect(h.store.object("obj")?.omap[Bytes(utf8: "top")] == [])
    }

    @Test func outputReturnedAfterErrors() {
        let o = Harness().run("output:append('partial')\nerror('x')")
        #expect(o.rc == -5 && o.text == "partial")
    }
}

@Suite struct PcallTests {
    @Test func caughtClsFailureGivesFalseErrnoMessage() {
        let o = Harness().run("""
            local ok, err, msg = pcall(cls.stat)
            output:append(tostring(ok) .. ' ' .. tostring(err) .. ' ' .. tostring(msg))
            return 0
            """, oid: "missing")
        #expect(o.rc == 0 && o.text == "false -2 No such file or directory")
    }

    @Test func plainErrorGivesFalseMessage() {
        let o = Harness().run("local ok, m, x = pcall(error, 'oops', 0)\noutput:append(tostring(ok)..m..tostring(x))\nreturn 0")
        #expect(o.text == "falseoopsnil")
    }

    @Test func callGoesOnAfterCaughtFailure() {
        let h = Harness()
        let o = h.run("pcall(cls.remove)\nlocal b = bufferlist.new() b:append('y') cls.write_full(b)\nreturn 0", oid: "missing")
        #expect(o.rc == 0 && h.store.object("missing")?.data == Bytes(utf8: "y"))
    }

    @Test func reRaisingTheMessageIsEIO() {
        let o = Harness().run("local ok, e, m = pcall(cls.stat)\nerror(m)", oid: "missing")
        #expect(o.rc == -5 && o.kind == .runtime)
    }

    @Test func xpcallDoesNotExist() {
        #expect(Harness().run("output:append(type(xpcall))\nreturn 0").text == "nil")
    }

    @Test func argumentTypeErrorsArePlainLuaErrors() {
        let h = Harness()
        #expect(h.run("cls.write_full('a string')").rc == -5)
        #expect(h.run("local b = bufferlist.new() b:append(5)").rc == -5)
        let o = h.run("local ok, m = pcall(cls.write_full, 'x')\noutput:append(tostring(m))\nreturn 0")
        #expect(o.text.contains("bufferlist expected"))
    }
}
