// `sepia keygen`: a CURVE key pair for the broker, a worker or a client.
import ArgumentParser
import Foundation
import ZeroMQ

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a CURVE key pair (Z85) for the broker, a worker or a client.",
        discussion: "See docs/security.md for where each key goes.\n\nExample:\n  sepia keygen --json > broker-keys.json")
    @OptionGroup var output: OutputOptions

    func run() throws {
        guard Curve.isAvailable else {
            throw CommandFailure("keygen", CLIError.failed("this libzmq was built without CURVE"))
        }
        let pair = try Curve.keyPair()
        if output.json {
            JSONOutput.print(["public_key": pair.publicKey, "secret_key": pair.secretKey])
        } else {
            print("public_key: \"\(pair.publicKey)\"")
            print("secret_key: \"\(pair.secretKey)\"")
        }
    }
}
