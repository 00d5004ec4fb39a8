// The broker's I/O loop: reads frames from both ROUTER sockets, feeds the routing state machine,
// performs its actions. Runs on one thread the BrokerService owns; nothing here is shared.
import Codec
import Dispatch
import Foundation
import Logging
import Routing
import ZeroMQ

final class BrokerLoop {
    private let clients: Socket
    private let workers: Socket
    /// Present when CURVE is on: answers libzmq's key checks.
    private let zap: ZapAuthenticator?
    private let codec: any WireCodec
    private let logger: Logger
    private let endpoints: (client: String, worker: String)
    private var machine: RoutingStateMachine
    private var metrics = BrokerMetrics()
    /// Unread reply bytes per client, and the bound on them.
    private let budget: ReplyBudget
    private let bounds: BrokerStatus.Bounds
    /// How often the state machine ticks: a fraction of the heartbeat interval, so liveness is
    /// judged within ~20% and a stop request is seen within 100 ms.
    private let tickNanos: UInt64
    /// Messages read from one socket before looking at the other: fairness under load.
    private static let batch = 256

    init(clients: Socket, workers: Socket, zap: ZapAuthenticator?, settings: BrokerSettings, codec: any WireCodec, logger: Logger,
         endpoints: (client: String, worker: String)) {
        self.clients = clients
        self.workers = workers
        self.zap = zap
        self.codec = codec
        self.logger = logger
        self.endpoints = endpoints
        machine = RoutingStateMachine(settings: settings.routing)
        budget = ReplyBudget(clientMax: settings.clientReplyBytesMax, totalMax: settings.replyBytesMax)
        let r = settings.routing
        bounds = BrokerStatus.Bounds(clientInflightMax: r.clientInflightMax, shardQueueMax: r.shardQueueMax,
                                     slotInflightMax: r.slotInflightMax, slotQueueMax: r.slotQueueMax,
                                     clientReplyBytesMax: settings.clientReplyBytesMax, replyBytesMax: settings.replyBytesMax)
        tickNanos = min(100, max(5, settings.routing.heartbeatIntervalMillis / 5)) * 1_000_000
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Serves until `shouldStop` says so, then says goodbye to workers and waiting clients.
    func run(shouldStop: () -> Bool, publish: (BrokerStatus) -> Void) {
        var nextTick: UInt64 = 0
        let pollSockets = [workers, clients] + (zap.map { [$0.socket] } ?? [])
        while !shouldStop() {
            var now = Self.now()
            if now >= nextTick {
                perform(machine.tick(now: now))
                if metrics.rateWindowElapsed(now: now) {
                    // Once a second: the published copy is for BrokerService.status(); the admin
                    // command builds a fresh one.
                    let snapshot = machine.snapshot(now: now)
                    metrics.roll(now: now, liveSlots: Set(snapshot.slots.map(\.id)))
                    budget.prune()
                    publish(status(snapshot))
                }
                nextTick = now + tickNanos
                now = Self.now()
            }
            let wait = Int((nextTick - min(now, nextTick)) / 1_000_000) + 1
            let ready: [Bool]
            do {
                ready = try Poller.poll(pollSockets, timeoutMillis: wait)
            } catch {
                if error.isTerminated { break }
                logger.error("poll failed: \(error)")
                continue
            }
            // Workers first: replies free capacity that new requests may then use.
            if ready[0] { drain(workers) { handleWorker($0) } }
            if ready[1] { drain(clients) { handleClient($0) } }
            if ready.count > 2, ready[2] { zap?.answerRequests(logger: logger) }
        }
        perform(machine.shutdown(reason: "broker stopping"))
        publish(status(machine.snapshot(now: Self.now())))
    }

    private func drain(_ socket: Socket, _ handle: ([[UInt8]]) -> Void) {
        for _ in 0..<Self.batch {
            do {
                guard let frames = try socket.receive(dontWait: true) else { return }
                handle(frames)
            } catch {
                logger.error("receive failed: \(error)")
                return
            }
        }
    }

    // MARK: - Clients

    private func handleClient(_ frames: [[UInt8]]) {
        guard let identity = frames.first else { return }
        if frames.count == 3, frames[1].isEmpty {
            metrics.requests += 1
            let body = frames[2]
            do {
                // The peek refuses other protocol versions itself (kind `version`).
                let header = try codec.peekRequest(body)
                // Over the unread-reply budget: busy, unless it is a retry of a request the
                // broker already holds (that one's reply answers it).
                if !machine.isPending(client: identity, requestID: header.id), let refusal = budget.refusal(for: identity) {
                    replyError(to: identity, requestID: header.id, refusal)
                } else {
                    perform(machine.requestArrived(client: identity, header: header, body: body, now: Self.now()))
                }
            } catch let failure as any ResultCodeError {
                replyError(to: identity, requestID: codec.requestID(ofRefused: body), failure)
            } catch {
                // The codec refuses frames with coded errors; anything else is Sepia's fault,
                // not the client's.
                logger.error("unexpected error peeking a request: \(error)")
                replyError(to: identity, requestID: codec.requestID(ofRefused: body),
                           SepiaError(.EIO, .bug, "unexpected broker error: \(error)"))
            }
        } else if frames.count == 4, frames[1].isEmpty, frames[2] == Frames.admin {
            answerAdmin(identity, frames[3])
        } else {
            metrics.malformedFrames += 1
            replyError(to: identity, requestID: 0, SepiaError(
                .EBADMSG, .decode, "expected frames [\"\"][request] or [\"\"][\"A\"][command], got \(frames.count - 1) frames"))
        }
    }

    private func replyError(to client: [UInt8], requestID: UInt64, _ failure: any ResultCodeError) {
        metrics.recordError(failure.kind)
        let body = codec.encodeReply(Reply(id: requestID, failure: failure))
        sendToClient { try clients.send(client, Frames.delimiter, body, chargedTo: budget.account(for: client), dontWait: true) }
    }

    /// Runs one send to a client; a failure is counted, never fatal.
    private func sendToClient(_ send: () throws -> Void) {
        do {
            try send()
        } catch {
            // Gone (unroutable) or not reading (high-water mark): the client retries by id.
            metrics.undeliverable += 1
            logger.debug("reply undeliverable: \(error)")
        }
    }

    /// Admin commands: "status" (also as JSON {"command": "status"}).
    private func answerAdmin(_ client: [UInt8], _ body: [UInt8]) {
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let command = (try? JSONDecoder().decode([String: String].self, from: Data(body)))?["command"] ?? text
        let encoder = JSONEncoder()
        // Endpoints are URLs: `tcp://…` reads as people write it, not `tcp:\/\/…`.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let document: Data
        if command == "status" {
            document = (try? encoder.encode(status(machine.snapshot(now: Self.now())))) ?? Data()
        } else {
            document = (try? encoder.encode(["error": "unknown admin command '\(command)'; known: status"])) ?? Data()
        }
        sendToClient { try clients.send([client, Frames.delimiter, Frames.admin, [UInt8](document)], dontWait: true) }
    }

    // MARK: - Workers

    private func handleWorker(_ frames: [[UInt8]]) {
        guard frames.count >= 3 else {
            logger.warning("worker message with \(frames.count) frames ignored")
            return
        }
        let slot = SlotID(frames[0])
        let now = Self.now()
        switch frames[1] {
        case Frames.control where frames.count == 3:
            do {
                let control = try codec.decodeControl(frames[2])
                if case .stats(let handlers) = control { metrics.handlers[slot] = handlers }
                perform(machine.controlArrived(from: slot, control, now: now))
            } catch {
                logger.warning("undecodable control from \(slot): \(error)")
            }
        case Frames.reply where frames.count == 4:
            guard let tag = Frames.tagValue(frames[2]) else {
                logger.warning("reply from \(slot) with a \(frames[2].count)-byte tag ignored")
                return
            }
            perform(machine.replyArrived(from: slot, tag: tag, body: frames[3], now: now))
        default:
            logger.warning("unknown worker message kind from \(slot) ignored")
        }
    }

    // MARK: - Actions

    /// Performs actions in order. Failed sends feed follow-up events back into the machine
    /// (a slot found unroutable is dead; a full send queue answers busy), performed after.
    private func perform(_ actions: [RoutingAction]) {
        var work = actions
        var index = 0
        while index < work.count {
            let action = work[index]
            index += 1
            switch action {
            case .dispatch(let tag, let slot, let client, let body):
                // Its client stopped reading: its replies would only pile up here.
                if let refusal = budget.refusal(for: client) {
                    work += machine.dispatchRefused(tag: tag, error: refusal, now: Self.now())
                } else if let failure = sendToWorker(slot, [slot.routingID, Frames.dispatch, Frames.tag(tag), body]) {
                    work += failure.isUnroutable
                        ? machine.slotUnreachable(slot, now: Self.now())
                        : machine.dispatchFailed(tag: tag, now: Self.now())
                }
            case .sendControl(let slot, let control):
                // A slot that cannot take a control message (gone, or its queue full while the
                // window keeps it far below the high-water mark) cannot follow the protocol.
                if sendToWorker(slot, [slot.routingID, Frames.control, codec.encodeControl(control)]) != nil {
                    work += machine.slotUnreachable(slot, now: Self.now())
                }
            case .replyError(let client, let requestID, let error):
                replyError(to: client, requestID: requestID, error)
            case .forwardReply(let client, _, let body, let slot, let latency):
                metrics.recordReply(from: slot, latencyNanos: latency)
                sendToClient { try clients.send(client, Frames.delimiter, body, chargedTo: budget.account(for: client), dontWait: true) }
            case .log(let level, let message):
                switch level {
                case .debug: logger.debug("\(message)")
                case .info: logger.info("\(message)")
                case .warning: logger.warning("\(message)")
                }
            }
        }
    }

    private func sendToWorker(_ slot: SlotID, _ frames: [[UInt8]]) -> ZMQError? {
        do {
            try workers.send(frames, dontWait: true)
            return nil
        } catch {
            logger.debug("send to \(slot) failed: \(error)")
            return error
        }
    }

    private func status(_ snapshot: RoutingSnapshot) -> BrokerStatus {
        BrokerStatus(snapshot: snapshot, metrics: metrics, budget: budget, bounds: bounds, authRejected: zap?.rejected ?? 0,
                     clientEndpoint: endpoints.client, workerEndpoint: endpoints.worker)
    }
}
