// `sepia bench`: measured scenarios.
import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure latency and throughput scenarios.")
    func run() async throws { Failure.exit("bench", CLIError.failed("not built yet")) }
}
