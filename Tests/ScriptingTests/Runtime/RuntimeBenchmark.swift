// Not a test: a quick measurement for docs/scripting.md. Runs only with SEPIA_BENCH=1:
//   SEPIA_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter benchmarkNoopCalls
import CLuaJIT
import Codec
import Crypto
import Foundation
@testable import Scripting
import Testing

@Test(.enabled(if: ProcessInfo.processInfo.environment["SEPIA_BENCH"] == "1"))
func benchmarkNoopCalls() {
    let h = Harness(ScriptingConfig())
    let noop = "function h(i, o) return 0 end cls.register(h)"
    let sha = Bytes(SHA256.hash(data: Bytes(utf8: noop)))
    let n = 100_000
    func measure(_ label: String, _ body: (Int) -> Void) {
        let start = ContinuousClock.now
        for i in 0..<n { body(i) }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        print(String(format: "%@: %.0f calls/s (%.2f us/call)", label, Double(n) / seconds, seconds / Double(n) * 1e6))
    }
    func ok(_ o: CallOutcome) { precondition(o.rc == 0, "\(String(describing: o.error))") }
    ok(h.exec(noop))
    measure("exec by sha (cache hit)") { _ in ok(h.exec(.sha(sha), handler: "h", input: [])) }
    measure("exec by source (sha-256 + cache hit)") { _ in ok(h.exec(.source(Bytes(utf8: noop)), handler: "h", input: [])) }
    measure("exec by sha, top level only (handler \"\")") { _ in ok(h.exec(.sha(sha), handler: "", input: [])) }
    measure("exec, compile every call (distinct sources)") { i in
        ok(h.exec(.source(Bytes(utf8: noop + " -- \(i)")), handler: "h", input: []))
    }
    // The fresh environment alone: the templates copied into a new table.
    let rt = h.runtime
    let L = rt.L
    lua_settop(L, 0)
    lua_rawgeti(L, sepia_lua_registryindex(), rt.plainTemplateRef)
    lua_rawgeti(L, sepia_lua_registryindex(), rt.environmentIndexRef)
    measure("fresh environment only") { _ in
        sepia_lua_new_env(L, 1, 2, 32)
        lua_settop(L, 2)
    }
    measure("fresh environment + first use of cls") { _ in
        sepia_lua_new_env(L, 1, 2, 32)
        lua_getfield(L, -1, "cls")
        lua_settop(L, 2)
    }
    lua_settop(L, 0)
    print("memory in use: \(rt.memoryInUse) bytes, cache: \(rt.cacheStats)")
}
