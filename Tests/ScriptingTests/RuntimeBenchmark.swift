// Not a test: a quick measurement for docs/scripting.md. Runs only with SEPIA_BENCH=1.
import Codec
import Crypto
import Foundation
import Scripting
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
    measure("cache hit by sha") { _ in _ = h.exec(.sha(sha), handler: "h", input: []) }
    measure("cache hit by source (sha-256 of source)") { _ in _ = h.exec(.source(Bytes(utf8: noop)), handler: "h", input: []) }
    measure("compile every call (distinct sources)") { i in
        _ = h.exec(.source(Bytes(utf8: noop + " -- \(i)")), handler: "h", input: [])
    }
    measure("top level only (fresh environment + chunk)") { _ in _ = h.exec(.sha(sha), handler: "", input: []) }
    print("memory in use: \(h.runtime.memoryInUse) bytes, cache: \(h.runtime.cacheStats)")
}
