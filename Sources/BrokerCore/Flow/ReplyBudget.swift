// The byte budget for replies a client has not taken off its socket. Each reply to a client is
// charged to that client's account from the send until libzmq frees it (written to the
// kernel, or dropped): a client that stops reading runs its account up to the bound and its
// new requests are answered busy, instead of the broker holding its replies without end.
import Codec
import ZeroMQ

final class ReplyBudget {
    let clientMax: Int64
    let totalMax: Int64
    private let ledger = ByteLedger()
    private var accounts: [Bytes: ByteAccount] = [:]
    /// Requests answered busy because of the budget.
    private(set) var refused: UInt64 = 0

    init(clientMax: Int64, totalMax: Int64) {
        self.clientMax = clientMax
        self.totalMax = totalMax
    }

    /// Unread reply bytes over all clients.
    var total: Int64 { ledger.bytes }

    /// The client's account, made on first use.
    func account(for client: Bytes) -> ByteAccount {
        if let account = accounts[client] { return account }
        let account = ledger.makeAccount()
        accounts[client] = account
        return account
    }

    func bytes(of client: Bytes) -> Int64 { accounts[client]?.bytes ?? 0 }

    /// Unread reply bytes per client, for those with any.
    var unread: [(client: Bytes, bytes: Int64)] {
        accounts.compactMap { client, account in
            let n = account.bytes
            return n > 0 ? (client, n) : nil
        }
    }

    /// The busy answer for a request of `client`, when it or all clients are over budget
    /// (counted as refused); nil when the request may go on.
    func refusal(for client: Bytes) -> SepiaError? {
        let mine = bytes(of: client)
        let reason: String
        if mine >= clientMax {
            reason = "this client has \(mine) bytes of replies it has not read (bound \(clientMax)); read them first"
        } else if total >= totalMax {
            reason = "the broker holds \(total) bytes of replies clients have not read (bound \(totalMax))"
        } else {
            return nil
        }
        refused += 1
        return SepiaError(.EBUSY, .busy, reason)
    }

    /// Forgets accounts with nothing charged (the client read everything, or is gone).
    func prune() {
        accounts = accounts.filter { $0.value.bytes > 0 }
    }
}
