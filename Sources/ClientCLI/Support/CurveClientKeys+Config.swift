// A client's CURVE keys as the configuration gives them: every command and the cluster's
// readiness check connect with the same keys.
import Client
import Config

extension CurveClientKeys {
    /// nil when the configuration turns CURVE off (no server public key).
    init?(config: SepiaConfig) {
        guard !config.security.curveServerPublicKey.isEmpty else { return nil }
        self.init(serverPublicKey: config.security.curveServerPublicKey,
                  publicKey: config.security.clientPublicKey, secretKey: config.security.clientSecretKey)
    }
}
