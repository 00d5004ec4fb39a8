// Runs scripts the way the worker does: one transaction per call, committed iff rc >= 0.
import Codec
import Scripting
import Storage
import Testing

final class Harness {
    let runtime: LuaRuntime
    let store = MemoryObjectStore()

    init(_ config: ScriptingConfig = ScriptingConfig(instructionLimit: 5_000_000, timeLimitMillis: 5_000,
                                                    memoryLimitBytes: 32 << 20, outputLimitBytes: 1 << 20)) {
        runtime = LuaRuntime(config: config)
    }

    @discardableResult
    func exec(_ script: String, handler: String = "h", input: String = "", oid: String = "obj",
              context: CallContext = CallContext()) -> CallOutcome {
        exec(.source(Bytes(utf8: script)), handler: handler, input: Bytes(utf8: input), oid: oid, context: context)
    }

    @discardableResult
    func exec(_ script: ScriptRef, handler: String, input: Bytes, oid: String = "obj",
              context: CallContext = CallContext()) -> CallOutcome {
        let tx = store.begin(Bytes(utf8: oid), readOnly: context.readOnly)
        let outcome = runtime.exec(script: script, handler: handler, input: input, object: tx, context: context)
        if outcome.rc >= 0 { tx.commit() } else { tx.discard() }
        return outcome
    }

    @discardableResult
    func call(_ className: String, _ method: String, input: Bytes = [], oid: String = "obj") -> CallOutcome {
        let tx = store.begin(Bytes(utf8: oid))
        let outcome = runtime.call(className: className, method: method, input: input, object: tx, context: CallContext())
        if outcome.rc >= 0 { tx.commit() } else { tx.discard() }
        return outcome
    }

    /// A handler `h` (registered) with `body`, for one-rule tests.
    @discardableResult
    func run(_ body: String, input: String = "", oid: String = "obj", context: CallContext = CallContext()) -> CallOutcome {
        exec("function h(input, output)\n\(body)\nend\ncls.register(h)", input: input, oid: oid, context: context)
    }

    func put(_ oid: String, data: String) {
        store.objects[Bytes(utf8: oid), default: StoredObject()].data = Bytes(utf8: data)
    }
}

extension CallOutcome {
    var text: String { String(decoding: output, as: UTF8.self) }
    var kind: ErrorKind? { error?.kind }
}

/// A call that must work after any hostile one.
func expectHealthy(_ h: Harness, sourceLocation: SourceLocation = #_sourceLocation) {
    let o = h.run("output:append(string.upper('ok') .. #bufferlist.new()) return 1")
    #expect(o.rc == 1 && o.text == "OK0", sourceLocation: sourceLocation)
}

/// Runs a hostile `body` (then `return 0`) on a fresh runtime: it must end, within a generous
/// bound, with `errno` and `kind`, and the runtime must serve the next call.
func expectAborts(_ body: String, with errno: Errno, _ kind: ErrorKind, sourceLocation: SourceLocation = #_sourceLocation) {
    let h = Harness()
    let start = ContinuousClock.now
    let o = h.run(body + "\nreturn 0")
    #expect(o.rc == errno.rc && o.kind == kind, "\(o.rc) \(o.error?.message ?? "")", sourceLocation: sourceLocation)
    #expect(ContinuousClock.now - start < .seconds(60), "ended", sourceLocation: sourceLocation)
    expectHealthy(h, sourceLocation: sourceLocation)
}

final class LogBox: @unchecked Sendable {
    // Only touched from the test's own thread (the runtime calls the sink synchronously).
    var records: [LogRecord] = []
    func add(_ r: LogRecord) { records.append(r) }
}
