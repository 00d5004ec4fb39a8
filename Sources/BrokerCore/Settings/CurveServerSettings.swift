// CURVE for the broker's two sockets (docs/security.md): the server's secret key and who may connect.

public struct CurveServerSettings: Sendable, Equatable {
    /// The broker's secret key (Z85, 40 characters); clients and workers are given its public key.
    public var secretKey: String
    /// Z85 public keys of the clients allowed to connect; nil: any client that knows the
    /// broker's public key (encrypted, not authenticated).
    public var clientKeys: Set<String>?
    /// Z85 public keys of the worker processes allowed to connect; nil: any.
    public var workerKeys: Set<String>?

    public init(secretKey: String, clientKeys: Set<String>? = nil, workerKeys: Set<String>? = nil) {
        self.secretKey = secretKey
        self.clientKeys = clientKeys
        self.workerKeys = workerKeys
    }
}
