// Runs one request against its shard: the ops in order, as one transaction. Lua calls go to
// the slot's runtime; primitives go straight to the staged transaction. Nothing here commits
// durably: the slot stages the effects and syncs once per round (group commit).
import Codec
import Foundation
import Crypto
import Scripting
import Storage

/// The outcome of executing one request: the reply and whether the shard has staged writes
/// that must be synced before the reply may leave.
struct Execution {
    var reply: Bytes
    var needsSync: Bool
    /// The request failed (negative rc): for the latency report.
    var failed = false
}

/// Executes requests on one worker thread. Owns nothing but references: the runtime and the
/// shard stores belong to the slot.
struct RequestExecutor {
    let runtime: LuaRuntime
    let settings: OSDSettings
    let logSink: @Sendable (LogRecord) -> Void
    /// What the watchdog sees of this slot: the script call in progress.
    let watch: SlotWatch

    /// Milliseconds the next Lua op may run: the smaller of what the client still waits and
    /// what is left of the request's time limit. At least 1: a spent budget then ends the op
    /// at its first count hook with -ETIMEDOUT, as an exhausted limit does. nil: unbounded
    /// (no client deadline and a time limit of 0).
    func remainingMillis(of request: Request, receivedAt: ContinuousClock.Instant, started: ContinuousClock.Instant) -> UInt64? {
        func left(_ budget: UInt64, since start: ContinuousClock.Instant) -> UInt64 {
            let spent = UInt64(max(0, (ContinuousClock.now - start).wholeMilliseconds))
            return budget > spent ? budget - spent : 1
        }
        let server: UInt64? = settings.scripting.timeLimitMillis == 0 ? nil : left(settings.scripting.timeLimitMillis, since: started)
        let client: UInt64? = request.timeoutMillis.map { left($0, since: receivedAt) }
        return [server, client].compactMap { $0 }.min()
    }

    /// What an exactly-once record is bound to: SHA-256 of the request's oid and its encoded
    /// ops (nothing else: a retry may carry another deadline or flags), with each script named
    /// by its SHA-256, since a client resends a script it sent before by sha. Computed only
    /// when a record is written or found, so reads never pay for it.
    static func fingerprint(of request: Request) -> Bytes {
        let ops = request.ops.map { op -> Op in
            guard case .exec(.source(let source), let handler, let input) = op else { return op }
            return .exec(script: .sha(Bytes(SHA256.hash(data: source))), handler: handler, input: input)
        }
        return Bytes(SHA256.hash(data: Request(id: 0, oid: request.oid, ops: ops).encode()))
    }

    /// Executes `request` on `store`. Any failure becomes a reply; nothing throws out.
    func execute(_ request: Request, on store: ShardStore, receivedAt: ContinuousClock.Instant) -> Execution {
        let recordKey: Bytes? = request.client.isEmpty ? nil : ShardStore.recordKey(client: request.client, requestID: request.id)
        if let recordKey, let recorded = store.recorded(for: recordKey) {
            guard recorded.answers(fingerprint: Self.fingerprint(of: request)) else {
                // The id was used before for another request: its answer is not this one's,
                // and running this one would lose the record that keeps the first exactly-once.
                let error = SepiaError(.EEXIST, .invalid,
                    "request id \(request.id) reused for a different request (another oid or other ops): "
                    + "this client already committed a request under it; send a new request under a new id")
                return Execution(reply: Reply(id: request.id, rc: error.rc, results: [], error: error.info).encode(),
                                 needsSync: false, failed: true)
            }
            // A retry of a request that already committed: answer what it answered then.
            return Execution(reply: recorded.reply, needsSync: false)
        }
        let readOnly = request.flags.contains(.readOnly)
        var results: [OpResult] = []
        results.reserveCapacity(request.ops.count)
        var logs: [String]? = request.flags.contains(.wantLogs) ? [] : nil
        /// A failure: the results so far and the logs still go back; nothing commits.
        func failed(_ error: SepiaError) -> Execution {
            Execution(reply: Reply(id: request.id, rc: error.rc, results: results, error: error.info, logs: logs).encode(),
                      needsSync: false, failed: true)
        }
        let txn: ShardTransaction
        do {
            txn = try store.transaction(oid: request.oid, readOnly: readOnly)
        } catch {
            return failed(error)
        }
        var rc: Int32 = 0
        // lua.time_limit_ms, lua.instruction_limit and the log cap bound the REQUEST: each
        // exec/call op gets what earlier ops left, so a request of many ops cannot hold the
        // slot for many time limits or write many logs' worth.
        let started = ContinuousClock.now
        var instructions: UInt64 = 0
        var logBytes = 0

        for op in request.ops {
            switch op {
            case .exec, .call:
                let context = CallContext(
                    requestId: request.id,
                    limits: request.limits,
                    remainingMillis: remainingMillis(of: request, receivedAt: receivedAt, started: started),
                    instructionsSpent: instructions,
                    logBytesSpent: logBytes,
                    readOnly: readOnly,
                    wantLogs: logs != nil,
                    log: logSink)
                let outcome: CallOutcome = watch.watching {
                    if case .exec(let script, let handler, let input) = op {
                        if handler == settings.faultWedgeHandler {
                            // Fault injection (tests only): hold the thread in C, as a call no
                            // limit can interrupt would, for the watchdog to find.
                            while true { sleep(3600) }
                        }
                        return runtime.exec(script: script, handler: handler, input: input, object: txn, context: context)
                    } else if case .call(let className, let method, let input) = op {
                        return runtime.call(className: className, method: method, input: input, object: txn, context: context)
                    } else {
                        preconditionFailure("unreachable")
                    }
                }
                logs?.append(contentsOf: outcome.logs)
                instructions += outcome.instructions
                logBytes += outcome.logBytes
                results.append(.output(rc: outcome.rc, data: outcome.output))
                if outcome.rc < 0 {
                    // Output written before the failure still goes back; nothing commits.
                    let info = outcome.error ?? ErrorInfo(kind: .rc, message: "handler returned \(outcome.rc)")
                    let reply = Reply(id: request.id, rc: outcome.rc, results: results, error: info, logs: logs)
                    return Execution(reply: reply.encode(), needsSync: false, failed: true)
                }
                rc = outcome.rc
            case .listObjects(let startAfter, let prefix, let max):
                do {
                    let page = try store.listObjects(startAfter: startAfter, prefix: prefix, max: Int(clamping: max))
                    results.append(.keys(page.names, more: page.more))
                } catch {
                    return failed(error)
                }
            default:
                do {
                    results.append(try txn.apply(op))
                } catch {
                    return failed(error)
                }
            }
        }

        let reply = Reply(id: request.id, rc: rc, results: results, logs: logs).encode()
        guard txn.hasWrites else { return Execution(reply: reply, needsSync: false) }
        do {
            try store.stage(txn, record: recordKey.map { ReplyRecord(key: $0, fingerprint: Self.fingerprint(of: request), reply: reply) })
        } catch {
            return failed(error)
        }
        let durability = request.durability ?? settings.defaultDurability
        return Execution(reply: reply, needsSync: durability == .sync)
    }
}
