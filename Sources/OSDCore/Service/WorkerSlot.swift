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
    // only by the thread it runs on (`run`); the stop flag and the watch are the shared
    // fields, and both are atomic.

    let index: Int
    let name: String
    let settings: OSDSettings
    let logger: Logger
    private let stopFlag: StopFlag
    /// What the process watchdog reads: when the request now running started.
    let watch: SlotWatch

    private var socket: Socket?
    private var runtime: LuaRuntime!
    /// Made once with the runtime: building it (and its log closure) per request showed in
    /// the profile.
    private var executor: RequestExecutor!
    /// The protocol: which shards are open or pending, epoch, heartbeats, fencing.
    private var machine: SlotStateMachine
    /// The stores of the shards the machine holds open.
    private var stores: [UInt32: ShardStore] = [:]
    private var latencies = HandlerLatencies()

    init(index: Int, name: String, settings: OSDSettings, logger: Logger, stopFlag: StopFlag, watch: SlotWatch) {
        self.index = index
        self.name = name
        self.settings = settings
        self.logger = logger
        self.stopFlag = stopFlag
        self.watch = watch
        machine = SlotStateMachine(settings: SlotStateMachine.Settings(
            heartbeatIntervalNanos: UInt64(settings.heartbeatIntervalMillis) * 1_000_000,
            heartbeatLiveness: UInt64(settings.heartbeatLiveness)), now: Self.now())
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    private var label: String { "\(name)/\(index)" }

    /// The thread body. Returns after a graceful stop.
    func run() {
        runtime = LuaRuntime(config: settings.scripting)
        runtime.installMagick()
        executor = RequestExecutor(runtime: runtime, settings: settings, logSink: logSink(), watch: watch)
        let report = runtime.loadClasses()
        if index == 0 {
            if !report.loaded.isEmpty { logger.info("classes: \(report.loaded.sorted().joined(separator: ", "))") }
            for (name, problem) in report.failed.sorted(by: { $0.key < $1.key }) {
                logger.warning("class \(name) not loaded: \(problem.message)")
            }
        }
        reconnect()
        while !stopFlag.isSet {
            do {
                try serveOnce()
            } catch {
                logger.error("slot \(index): \(error)")
                if let e = error as? ZMQError, e.isTerminated { break }
            }
        }
        perform(machine.leave())
        socket?.close()
        socket = nil
    }

    // MARK: - Performing the machine's actions

    private func perform(_ actions: [SlotAction]) {
        for action in actions {
            switch action {
            case .send(.register):
                sendControl(.ready(ReadyInfo(worker: name, pid: ProcessInfoShim.pid, host: ProcessInfoShim.hostName,
                                             thread: UInt32(index), threads: UInt32(settings.resolvedThreads))))
            case .send(.reportStats):
                sendControl(.stats(latencies.report()))
            case .send(.control(let control)):
                sendControl(control)
            case .open(let shards):
                var opened: [UInt32] = []
                for shard in shards {
                    do {
                        stores[shard] = try ShardStore(path: shardPath(shard), options: settings.shard)
                        opened.append(shard)
                    } catch {
                        // Usually the LevelDB lock of a previous owner that has not let go yet.
                        logger.debug("slot \(index): shard \(shard) not openable yet: \(error)")
                    }
                }
                perform(machine.openFinished(opened: opened, now: Self.now()))
            case .close(let shards):
                for shard in shards { stores.removeValue(forKey: shard) }  // the last reference: LevelDB closes
            case .closeAll:
                stores.removeAll()
            case .reconnect:
                reconnect()
            case .repair(let shards):
                machine.repairFailed(reopenFailedShards(among: shards))
            case .log(let level, let message):
                switch level {
                case .debug: logger.debug("slot \(index): \(message)")
                case .info: logger.info("slot \(index): \(message)")
                case .warning: logger.warning("slot \(index): \(message)")
                }
            }
        }
    }

    private func reconnect() {
        socket?.close()
        socket = nil
        do {
            let s = try Socket(.dealer)
            try s.setRoutingID(Array(label.utf8))
            // The broker sends at most its window of requests plus control messages; a bound
            // here keeps a broker that sent more from piling requests up in this process.
            try s.setHighWaterMarks(send: 0, receive: Int32(clamping: settings.slotInflightMax + 1024))
            try s.setReconnectInterval(100, max: 1000)
            try s.setMaxMessageSize(Int64(settings.maxFrameBytes) + 4096)
            if !settings.curve.serverPublicKey.isEmpty {
                try s.makeCurveClient(serverKey: settings.curve.serverPublicKey,
                                      publicKey: settings.curve.publicKey, secretKey: settings.curve.secretKey)
            }
            try s.connect(settings.brokerEndpoint)
            socket = s
            perform(machine.connected(now: Self.now()))
        } catch {
            logger.error("slot \(index): cannot connect to \(settings.brokerEndpoint): \(error)")
        }
    }

    private func sendControl(_ control: Control) {
        guard let socket else { return }
        do {
            try socket.send(Frames.control, control.encode(), dontWait: true)
        } catch {
            logger.debug("slot \(index): control not sent: \(error)")
        }
    }

    // MARK: - The loop

    private func serveOnce() throws {
        guard let socket else {
            reconnect()
            return
        }
        // Frames already waiting mean a silence was our own (a long request): the machine
        // reads them first; if the broker did drop us meanwhile, its `disconnect` fences us.
        let waiting = (try? socket.waitReadable(timeoutMillis: 0)) ?? false
        perform(machine.tick(now: Self.now(), framesWaiting: waiting, statsChanged: latencies.changed))
        guard self.socket === socket, try socket.waitReadable(timeoutMillis: 100) else { return }
        var round = Round()
        while round.count < settings.groupCommitMax, let frames = try socket.receive(dontWait: true) {
            machine.heard(now: Self.now())
            guard let kind = frames.first else { continue }
            if kind == Frames.dispatch, frames.count == 3 {
                handleDispatch(tag: frames[1], body: frames[2], into: &round)
                // A round of slow requests must not silence the slot.
                perform(machine.heartbeatIfDue(now: Self.now()))
            } else if kind == Frames.control, frames.count == 2 {
                flush(&round)
                handleControl(frames[1])
                if self.socket !== socket { return }  // fenced: the old socket's frames are void
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
        let shard: UInt32
        switch machine.shard(for: request, slotName: label) {
        case .failure(let error):
            round.add(tag: tag, reply: Reply(id: request.id, failure: error).encode(), shard: nil)
            return
        case .success(let s):
            shard = s
        }
        guard let store = stores[shard] else {
            let error = SepiaError(.EIO, .bug, "shard \(shard) is open in the protocol but has no store on \(label)")
            logger.error("slot \(index): \(error.message)")
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
            guard let store = stores[shard] else { continue }
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
        perform(machine.controlArrived(control, now: Self.now()))
    }

    /// A shard whose write failed (disk full) refuses writes until reopened. Once its file
    /// system has room again, close it and open it afresh; until then it keeps serving reads
    /// and answering writes with the failure (-ENOSPC), which says more than "not open".
    /// Returns the shards that were closed and could not be reopened.
    private func reopenFailedShards(among shards: [UInt32]) -> [UInt32] {
        // Ids first: a binding to the old store would keep its LevelDB (and its lock) open.
        let failed = shards.filter { stores[$0]?.hasFailedWrite == true && Self.hasRoom(shardPath($0)) }
        var notReopened: [UInt32] = []
        for shard in failed {
            stores.removeValue(forKey: shard)  // the last reference: LevelDB closes
            do {
                stores[shard] = try ShardStore(path: shardPath(shard), options: settings.shard)
                logger.info("slot \(index): shard \(shard) reopened after a failed write")
            } catch {
                logger.warning("slot \(index): shard \(shard) not reopened yet: \(error)")
                notReopened.append(shard)
            }
        }
        return notReopened
    }

    /// At least 4 MiB free where `path` lives.
    private static func hasRoom(_ path: String) -> Bool {
        var fs = statvfs()
        guard statvfs(path, &fs) == 0 else { return false }
        return UInt64(fs.f_bavail) * UInt64(fs.f_frsize) >= 4 << 20
    }

    func shardPath(_ shard: UInt32) -> String {
        let digits = String(shard)
        return settings.dataRoot + "/shards/" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
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
