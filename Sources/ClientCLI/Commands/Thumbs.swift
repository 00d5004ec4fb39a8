// `sepia thumbs put|make|get`: the batch thumbnail service.
import ArgumentParser

struct Thumbs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload images, make thumbnails in bulk inside the workers, fetch them.")
    func run() async throws { Failure.exit("thumbs", CLIError.failed("not built yet")) }
}
