// One worker thread ("slot"): its own DEALER to the broker, its own Lua state, its own shards.
// A request never changes thread. Requests are executed in rounds: everything waiting (up to
// groupCommitMax) is executed and staged, then every touched shard is synced ONCE, then all
// replies go out — that is the group commit.
import Codec
import Foundation
import Logging
import Scripting
import Storage
import ZeroMQ

final class WorkerSlot: @unchecked Sendable {
    // @unchecked Sendable: a slot is created on the starting thread and from then on used
    // only by the thread it runs on (`run`); the stop flag is the one shared field, and it
    // is an atomic-by-lock box.

    let index: Int
    let name: String
    let settings: OSDSettings
    let logger: Logger
    private let stopFlag: StopFlag

    private var socket: Socket?
    private var runtime: LuaRuntime!
    /// Made once with the runtime: building it (and its log closure) per request showed in
    /// the profile.
    private var executor: RequestExecutor!
    private var shards: [UInt32: ShardStore] = [:]
    /// Shards assigned but not yet openable (a stale owner still holds the LevelDB lock).
    private var pendingOpen: Set<UInt32> = []
    private var shardCount: UInt32 = 0
    private var epoch: UInt64 = 0
    private var lastRepairAttempt = ContinuousClock.now
    private var lastHeardFromBroker = ContinuousClock.now
    private var lastSentHeartbeat = ContinuousClock.now
    private var lastOpenAttempt = ContinuousClock.now
    private var latencies = HandlerLatencies()
    private var lastStatsReport = ContinuousClock.now

    init(index: Int, name: String, settings: OSDSettings, logger: Logger, stopFlag: StopFlag) {
        self.index = index
        self.name = name
        self.settings = settings
        self.logger = logger
        self.stopFlag = stopFlag
    }

    private var heartbeatInterval: Duration { .milliseconds(settings.heartbeatIntervalMillis) }

    /// The thread body. Returns after a graceful stop.
    func run() {
        runtime = LuaRuntime(config: scriptingConfig())
        runtime.installMagick()
        executor = RequestExecutor(runtime: runtime, settings: settings, logSink: logSink())
        let report = runtime.loadClasses()
        if index == 0 {
            if !report.loaded.isEmpty { logger.info("classes: \(report.loaded.sorted().joined(separator: ", "))") }
            for (name, problem) in report.failed.sorted(by: { $0.key < $1.key }) {
                logger.warning("class \(name) not loaded: \(problem.message)")
            }
        }
        connect()
        while !stopFlag.isSet {
            do {
                try serveOnce()
            } catch {
                logger.error("slot \(index): \(error)")
                if let e = error as? ZMQError, e.isTerminated { break }
            }
        }
        leaveGracefully()
    }

    private func scriptingConfig() -> ScriptingConfig {
        var c = ScriptingConfig()
        c.instructionLimit = settings.instructionLimit
        c.timeLimitMillis = settings.timeLimitMillis
        c.memoryLimitBytes = settings.memoryLimitBytes
        c.outputLimitBytes = settings.outputLimitBytes
        c.scriptCacheEntries = settings.scriptCacheEntries
        c.maxScriptBytes = settings.maxScriptBytes
        c.classesDirectory = settings.classesDirectory
        return c
    }

    // MARK: - Connection

    private func connect() {
        socket?.close()
        do {
            let s = try Socket(.dealer)
            try s.setRoutingID(Array("\(name)/\(index)".utf8))
            try s.setHighWaterMarks(send: 0, receive: 0)
            try s.setReconnectInterval(100, max: 1000)
            try s.setMaxMessageSize(Int64(settings.maxFrameBytes) + 4096)
            if !settings.curveServerPublicKey.isEmpty {
                try s.makeCurveClient(serverKey: settings.curveServerPublicKey,
                                      publicKey: settings.curvePublicKey, secretKey: settings.curveSecretKey)
            }
            try s.connect(settings.brokerEndpoint)
            socket = s
            sendControl(.ready(ReadyInfo(worker: name, pid: ProcessInfoShim.pid, host: ProcessInfoShim.hostName,
                                         thread: UInt32(index), threads: UInt32(settings.resolvedThreads))))
            lastHeardFromBroker = .now
        } catch {
            logger.error("slot \(index): cannot connect to \(settings.brokerEndpoint): \(error)")
        }
    }

    private func sendControl(_ control: Control) {
        guard let socket else { return }
        do {
            try socket.send(Frames.control, control.encode(), dontWait: true)
            lastSentHeartbeat = .now
        } catch {
            logger.debug("slot \(index): control not sent: \(error)")
        }
    }

    // MARK: - The loop

    private func serveOnce() throws {
        guard let socket else {
            connect()
            return
        }
        let now = ContinuousClock.now
        if now - lastSentHeartbeat >= heartbeatInterval { sendControl(.heartbeat(epoch: epoch)) }
        if latencies.changed && now - lastStatsReport >= heartbeatInterval {
            lastStatsReport = now
            sendControl(.stats(latencies.report()))
        }
        // Frames already waiting mean the silence was our own (a long request): read them
        // first; if the broker did drop us meanwhile, its `disconnect` fences us.
        if now - lastHeardFromBroker > heartbeatInterval * settings.heartbeatLiveness,
           !((try? socket.waitReadable(timeoutMillis: 0)) ?? false) {
            // The broker is gone or thinks we are: stop serving (fencing) and re-register.
            logger.warning("slot \(index): broker silent; closing shards and re-registering")
            closeAll()
            connect()
            return
        }
        if !pendingOpen.isEmpty && now - lastOpenAttempt > .milliseconds(100) { openPending() }
        if now - lastRepairAttempt > .seconds(1) { reopenFailedShards() }

        guard try socket.waitReadable(timeoutMillis: 100) else { return }
        var round = Round()
        while round.count < settings.groupCommitMax, let frames = try socket.receive(dontWait: true) {
            lastHeardFromBroker = .now
            guard let kind = frames.first else { continue }
            if kind == Frames.dispatch, frames.count == 3 {
                handleDispatch(tag: frames[1], body: frames[2], into: &round)
                // A round of slow requests must not silence the slot.
                if ContinuousClock.now - lastSentHeartbeat >= heartbeatInterval { sendControl(.heartbeat(epoch: epoch)) }
            } else if kind == Frames.control, frames.count == 2 {
                flush(&round)
                handleControl(frames[1])
            } else {
                logger.warning("slot \(index): malformed frame from broker (\(frames.count) parts)")
            }
        }
        flush(&round)
    }

    private func handleDispatch(tag: Bytes, body: Bytes, into round: inout Round) {
        let received = ContinuousClock.now
        let limits = DecodeLimits(maxFrameBytes: settings.maxFrameBytes)
        // One decode per request: the full decode (msgpack-c, in place) costs less than the
        // header scan did, so an echo is answered from it too. The header is peeked again
        // only to give the id to a request that failed to decode.
        let request: Request
        do {
            request = try Request.decode(body, limits: limits)
        } catch {
            let id = (try? RequestHeader.peek(body, limits: limits).id) ?? 0
            round.add(tag: tag, reply: Reply(id: id, failure: error).encode(), shard: nil)
            return
        }
        if request.flags.contains(.echo) {
            round.add(tag: tag, reply: Reply(id: request.id, rc: 0).encode(), shard: nil)
            return
        }
        let home = Placement.shard(of: request.oid, shardCount: shardCount)
        let shard = request.shard ?? home
        // An explicit shard exists to list a shard's objects. Any other op on it would read or
        // write the object in a shard its name does not hash to, where no later request finds it.
        if shardCount > 0, shard != home, !request.ops.allSatisfy({ if case .listObjects = $0 { true } else { false } }) {
            let error = SepiaError(.EINVAL, .decode, "shard \(shard) was asked for, but the object's name hashes to shard \(home); only a listing may name a shard")
            round.add(tag: tag, reply: Reply(id: request.id, failure: error).encode(), shard: nil)
            return
        }
        guard let store = shards[shard] else {
            // The broker routed a shard we do not hold (a race with a release): answer
            // retryably so the client library tries again.
            let error = SepiaError(.EAGAIN, .routing, "shard \(shard) is not open on \(name)/\(index)")
            round.add(tag: tag, reply: Reply(id: request.id, failure: error).encode(), shard: nil)
            return
        }
        let execution = executor.execute(request, on: store, receivedAt: received)
        round.add(tag: tag, reply: execution.reply, shard: execution.needsSync ? shard : nil)
        latencies.record(HandlerLatencies.label(of: request),
                         micros: UInt64(max(0, (ContinuousClock.now - received).wholeMicroseconds)),
                         failed: execution.failed)
    }

    private func logSink() -> @Sendable (LogRecord) -> Void {
        let logger = self.logger
        let slot = index
        return { record in logger.info("[slot \(slot) req \(record.requestId)] \(record.source.rawValue)(\(record.level)): \(record.message)") }
    }

    /// Syncs every shard the round wrote to, then sends the replies.
    private func flush(_ round: inout Round) {
        guard round.count > 0 else { return }
        var failed: [UInt32: SepiaError] = [:]
        for shard in round.shardsToSync {
            guard let store = shards[shard] else { continue }
            do {
                try store.sync()
            } catch {
                failed[shard] = error
                logger.error("slot \(index): sync of shard \(shard) failed: \(error)")
            }
        }
        for item in round.items {
            var reply = item.reply
            if let shard = item.shard, let error = failed[shard],
               let id = try? ReplyHeader.peek(reply).id {
                reply = Reply(id: id, failure: error).encode()
            }
            if reply.count > settings.maxFrameBytes, let id = try? ReplyHeader.peek(reply, limits: DecodeLimits(maxFrameBytes: reply.count)).id {
                // Past the bound the broker would drop this connection (or the client the reply).
                reply = Reply(id: id, failure: SepiaError(.EMSGSIZE, .limit,
                    "reply of \(reply.count) bytes exceeds broker.max_frame_bytes (\(settings.maxFrameBytes)); read in ranges")).encode()
            }
            do {
                try socket?.send(Frames.reply, item.tag, reply)
            } catch {
                logger.error("slot \(index): reply not sent: \(error)")
            }
        }
        round = Round()
    }

    private func handleControl(_ body: Bytes) {
        let control: Control
        do {
            control = try Control.decode(body, limits: DecodeLimits(maxFrameBytes: settings.maxFrameBytes))
        } catch {
            logger.warning("slot \(index): undecodable control message: \(error)")
            return
        }
        switch control {
        case .heartbeat:
            break
        case .assign(let e, let count, let list):
            epoch = max(epoch, e)
            if shardCount != count {
                closeAll()
                shardCount = count
            }
            pendingOpen.formUnion(list.filter { shards[$0] == nil })
            let alreadyOpen = list.filter { shards[$0] != nil }
            if !alreadyOpen.isEmpty { sendControl(.opened(epoch: epoch, shards: alreadyOpen)) }
            openPending()
        case .release(let e, let list):
            epoch = max(epoch, e)
            for shard in list {
                shards.removeValue(forKey: shard)  // the last reference: LevelDB closes
                pendingOpen.remove(shard)
            }
            sendControl(.released(epoch: epoch, shards: list))
        case .disconnect(let reason):
            logger.warning("slot \(index): broker says disconnect (\(reason)); re-registering")
            closeAll()
            connect()
        case .ready, .opened, .released, .stats:
            logger.warning("slot \(index): unexpected control message from broker")
        }
    }

    /// A shard whose write failed (disk full) refuses writes until reopened. Once its file
    /// system has room again, close it and open it afresh; until then it keeps serving reads
    /// and answering writes with the failure (-ENOSPC), which says more than "not open".
    private func reopenFailedShards() {
        lastRepairAttempt = .now
        // Ids first: a binding to the old store would keep its LevelDB (and its lock) open.
        let failed = shards.filter { $0.value.hasFailedWrite }.keys.filter { Self.hasRoom(shardPath($0)) }
        for shard in failed {
            shards.removeValue(forKey: shard)  // the last reference: LevelDB closes
            do {
                shards[shard] = try ShardStore(path: shardPath(shard), options: storeOptions())
                logger.info("slot \(index): shard \(shard) reopened after a failed write")
            } catch {
                logger.warning("slot \(index): shard \(shard) not reopened yet: \(error)")
                pendingOpen.insert(shard)
            }
        }
    }

    /// At least 4 MiB free where `path` lives.
    private static func hasRoom(_ path: String) -> Bool {
        var fs = statvfs()
        guard statvfs(path, &fs) == 0 else { return false }
        return UInt64(fs.f_bavail) * UInt64(fs.f_frsize) >= 4 << 20
    }

    private func openPending() {
        lastOpenAttempt = .now
        var opened: [UInt32] = []
        for shard in pendingOpen.sorted() {
            do {
                shards[shard] = try ShardStore(path: shardPath(shard), options: storeOptions())
                opened.append(shard)
            } catch {
                // Usually the LevelDB lock of a previous owner that has not let go yet.
                logger.debug("slot \(index): shard \(shard) not openable yet: \(error)")
            }
        }
        pendingOpen.subtract(opened)
        if !opened.isEmpty { sendControl(.opened(epoch: epoch, shards: opened)) }
    }

    private func storeOptions() -> ShardOptions {
        var o = ShardOptions()
        o.maxRecords = settings.dedupMaxEntries
        o.recordRetentionSeconds = UInt64(settings.dedupMaxAgeSeconds)
        o.maxObjectBytes = settings.maxObjectBytes
        o.maxXattrBytes = settings.maxXattrBytes
        o.maxOmapEntriesPerRequest = settings.maxOmapEntriesPerRequest
        o.maxOmapBytesPerRequest = settings.maxOmapBytesPerRequest
        return o
    }

    func shardPath(_ shard: UInt32) -> String {
        let digits = String(shard)
        return settings.dataRoot + "/shards/" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }

    private func closeAll() {
        shards.removeAll()  // dropping the last references closes the LevelDBs
        pendingOpen.removeAll()
    }

    private func leaveGracefully() {
        closeAll()
        sendControl(.disconnect(reason: "worker stopping"))
        socket?.close()
        socket = nil
    }
}

/// Requests executed in one round, in arrival order, with the shard each must wait on.
struct Round {
    struct Item {
        var tag: Bytes
        var reply: Bytes
        var shard: UInt32?
    }
    var items: [Item] = []
    var shardsToSync: Set<UInt32> = []
    var count: Int { items.count }

    mutating func add(tag: Bytes, reply: Bytes, shard: UInt32?) {
        items.append(Item(tag: tag, reply: reply, shard: shard))
        if let shard { shardsToSync.insert(shard) }
    }
}
