// A throwaway encoding for the broker's socket tests, so they do not depend on the msgpack
// codec. Request: "Q" id(8 BE) timeoutMillis(8 BE, all ones = none) oid. Reply: "P" id(8 BE)
// rc(4 BE) text. Control: "|"-separated text.
import BrokerCore
import Codec
import Routing

struct TestWireCodec: WireCodec {
    static func request(id: UInt64, oid: String, timeoutMillis: UInt64? = nil) -> [UInt8] {
        [UInt8(ascii: "Q")] + Frames.tag(id) + Frames.tag(timeoutMillis ?? .max) + Array(oid.utf8)
    }

    static func reply(id: UInt64, rc: Int32, text: String) -> [UInt8] {
        [UInt8(ascii: "P")] + Frames.tag(id) + Frames.tag(UInt64(UInt32(bitPattern: rc))).suffix(4)
            + Array(text.utf8)
    }

    /// (id, rc, text) of a reply body.
    static func decodeReply(_ body: [UInt8]) -> (id: UInt64, rc: Int32, text: String)? {
        guard body.count >= 13, body[0] == UInt8(ascii: "P"), let id = Frames.tagValue(Array(body[1..<9])) else { return nil }
        let rc = Int32(bitPattern: body[9..<13].reduce(0) { $0 << 8 | UInt32($1) })
        return (id, rc, String(decoding: body[13...], as: UTF8.self))
    }

    /// The id and oid of a request body (what the test worker needs).
    static func decodeRequest(_ body: [UInt8]) -> (id: UInt64, oid: [UInt8])? {
        guard body.count >= 17, body[0] == UInt8(ascii: "Q"), let id = Frames.tagValue(Array(body[1..<9])) else { return nil }
        return (id, Array(body[17...]))
    }

    func peekRequest(_ body: [UInt8]) throws -> RequestHeaderInfo {
        guard let (id, oid) = Self.decodeRequest(body), let timeout = Frames.tagValue(Array(body[9..<17])) else {
            throw SepiaError(.EBADMSG, .decode, "not a test request")
        }
        return RequestHeaderInfo(client: [], id: id, oid: oid, timeoutMillis: timeout == .max ? nil : timeout)
    }

    func encodeReply(_ reply: Reply) -> [UInt8] {
        Self.reply(id: reply.id, rc: reply.rc, text: reply.error.map { "\($0.kind.rawValue): \($0.message)" } ?? "")
    }

    func encodeControl(_ control: Control) -> [UInt8] {
        func list(_ shards: [UInt32]) -> String { shards.map(String.init).joined(separator: ",") }
        let text = switch control {
        case .ready(let i): "ready|\(i.worker)|\(i.pid)|\(i.host)|\(i.thread)|\(i.threads)"
        case .heartbeat(let epoch): "heartbeat|\(epoch)"
        case .assign(let epoch, let count, let shards): "assign|\(epoch)|\(count)|\(list(shards))"
        case .opened(let epoch, let shards): "opened|\(epoch)|\(list(shards))"
        case .release(let epoch, let shards): "release|\(epoch)|\(list(shards))"
        case .released(let epoch, let shards): "released|\(epoch)|\(list(shards))"
        case .disconnect(let reason): "disconnect|\(reason)"
        case .stats: "stats"
        }
        return Array(text.utf8)
    }

    func decodeControl(_ body: [UInt8]) throws -> Control {
        let parts = String(decoding: body, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        func number(_ i: Int) throws -> UInt64 {
            guard i < parts.count, let n = UInt64(parts[i]) else { throw SepiaError(.EBADMSG, .decode, "bad control") }
            return n
        }
        func shards(_ i: Int) throws -> [UInt32] {
            guard i < parts.count else { throw SepiaError(.EBADMSG, .decode, "bad control") }
            return parts[i].split(separator: ",").compactMap { UInt32($0) }
        }
        switch parts[0] {
        case "ready":
            guard parts.count == 6 else { throw SepiaError(.EBADMSG, .decode, "bad ready") }
            return .ready(ReadyInfo(worker: parts[1], pid: Int32(try number(2)), host: parts[3],
                                    thread: UInt32(try number(4)), threads: UInt32(try number(5))))
        case "heartbeat": return .heartbeat(epoch: try number(1))
        case "assign": return .assign(epoch: try number(1), shardCount: UInt32(try number(2)), shards: try shards(3))
        case "opened": return .opened(epoch: try number(1), shards: try shards(2))
        case "release": return .release(epoch: try number(1), shards: try shards(2))
        case "released": return .released(epoch: try number(1), shards: try shards(2))
        case "disconnect": return .disconnect(reason: parts.dropFirst().joined(separator: "|"))
        default: throw SepiaError(.EBADMSG, .decode, "unknown control \(parts[0])")
        }
    }
}
