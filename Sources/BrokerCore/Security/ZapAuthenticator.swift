// The ZAP handler (ZeroMQ RFC 27) that checks CURVE client keys against the allow-lists. It is
// polled by the broker loop like any other socket, so it needs no thread of its own.
import Logging
import ZeroMQ

final class ZapAuthenticator {
    /// libzmq asks this fixed endpoint, in the socket's own context, during each handshake.
    static let endpoint = "inproc://zeromq.zap.01"
    static let clientDomain = "sepia-clients"
    static let workerDomain = "sepia-workers"

    let socket: Socket
    private let allowed: [String: Set<String>]
    /// Handshakes refused since start.
    private(set) var rejected: UInt64 = 0

    /// The handler's socket, bound; made on the starting thread so a bind failure is reported
    /// by `BrokerService.start()`.
    static func bindSocket(context: Context) throws -> Socket {
        let socket = try Socket(.rep, context: context)
        try socket.bind(Self.endpoint)
        return socket
    }

    init(socket: Socket, settings: CurveServerSettings) {
        var allowed: [String: Set<String>] = [:]
        allowed[Self.clientDomain] = settings.clientKeys
        allowed[Self.workerDomain] = settings.workerKeys
        self.allowed = allowed
        self.socket = socket
    }

    /// Answers every waiting ZAP request.
    func answerRequests(logger: Logger) {
        do {
            while let request = try socket.receive(dontWait: true) {
                try socket.send(reply(to: request, logger: logger))
            }
        } catch {
            logger.error("ZAP handler failed: \(error)")
        }
    }

    /// Request: version, request id, domain, address, routing id, mechanism, credentials...
    /// Reply: version, request id, status code, status text, user id, metadata.
    private func reply(to request: [[UInt8]], logger: Logger) -> [[UInt8]] {
        guard request.count >= 6 else {
            return [Self.frame("1.0"), request.count > 1 ? request[1] : [], Self.frame("500"), Self.frame("malformed"), [], []]
        }
        let id = request[1]
        let domain = String(decoding: request[2], as: UTF8.self)
        let mechanism = String(decoding: request[5], as: UTF8.self)
        let key = request.count >= 7 ? Curve.z85(request[6]) : nil
        let accepted: Bool
        if mechanism != "CURVE" || key == nil {
            accepted = false
        } else if let list = allowed[domain] {
            accepted = list.contains(key!)
        } else {
            accepted = true  // no allow-list for this domain: knowing the server key is enough
        }
        if !accepted {
            rejected += 1
            let address = String(decoding: request[3], as: UTF8.self)
            logger.warning("refused \(mechanism) connection from \(address) to \(domain) with key \(key ?? "none")")
        }
        return [Self.frame("1.0"), id, Self.frame(accepted ? "200" : "400"),
                Self.frame(accepted ? "OK" : "key not allowed"), Self.frame(accepted ? key! : ""), []]
    }

    private static func frame(_ text: String) -> [UInt8] { Array(text.utf8) }
}
