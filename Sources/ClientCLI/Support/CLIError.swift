// How the CLI fails: commands throw, and Sepia.main is the one place that prints the line
// (`sepia: <what> failed: <why>`) and picks the exit code: 1 for failures, 2 for usage errors.
import ArgumentParser
import Client
import Codec
import Foundation

enum CLIError: Error, CustomStringConvertible {
    case usage(String)
    case failed(String)

    var description: String {
        switch self {
        case .usage(let m), .failed(let m): m
        }
    }
}

/// A command's failure on its way to Sepia.main: what was being done, and why it failed.
struct CommandFailure: Error, CustomStringConvertible {
    let what: String
    let error: any Error

    init(_ what: String, _ error: any Error) {
        // A failure already named by an inner step keeps its name.
        if let inner = error as? CommandFailure {
            self = inner
        } else {
            self.what = what
            self.error = error
        }
    }

    /// A reply with a negative rc, printed the same way.
    init(_ what: String, reply: Reply) {
        self.init(what, ClientError.failed(reply))
    }

    /// `ENOENT (-2) op: No such file or directory`, or the CLI's own message.
    var reason: String {
        switch error {
        case let e as ClientError: e.description
        case let e as SepiaError: e.description
        case let e as CLIError: e.description
        default: "\(error)"
        }
    }

    var exitCode: Int32 {
        if case .usage = error as? CLIError { 2 } else { 1 }
    }

    var description: String { "sepia: \(what) failed: \(reason)" }
}
