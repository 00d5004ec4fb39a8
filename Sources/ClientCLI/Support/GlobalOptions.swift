// Flags every command that talks to a cluster shares, and how they become a client.
import ArgumentParser
import Client
import Config
import Foundation

struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Broker client endpoint, e.g. tcp://10.0.0.5:7700 (default: SEPIA_BROKER, the config file, then the local cluster).")
    var broker: String?

    @Option(name: .long, help: "Configuration file (default: SEPIA_CONFIG, else built-in defaults).")
    var config: String?

    @Option(name: .long, help: "Seconds to wait for each reply before retrying.")
    var timeout: Double?

    @Option(name: .long, help: "Retries of retryable failures (time-out, EBUSY, EAGAIN, worker lost).")
    var retries: Int?

    func loadConfig() throws -> SepiaConfig {
        do {
            return try SepiaConfig.load(file: config, environment: ProcessInfo.processInfo.environment, overrides: [:])
        } catch {
            throw CLIError.usage("\(error)")
        }
    }

    /// --broker > SEPIA_BROKER > the config file > the local cluster's default.
    func endpoint(_ config: SepiaConfig) -> String {
        if let broker, !broker.isEmpty { return broker }
        if let env = ProcessInfo.processInfo.environment["SEPIA_BROKER"], !env.isEmpty { return env }
        if !config.client.broker.isEmpty { return config.client.broker }
        return LocalCluster.defaultClientEndpoint()
    }

    func makeClient() throws -> SepiaClient {
        let config = try loadConfig()
        var options = ClientOptions(endpoint: endpoint(config))
        options.timeout = .milliseconds(Int64((timeout ?? Double(config.client.timeoutMs) / 1000) * 1000))
        options.retries = retries ?? config.client.retries
        options.curve = CurveClientKeys(config: config)
        return try SepiaClient(options: options)
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON object on stdout instead of text.")
    var json = false
}
