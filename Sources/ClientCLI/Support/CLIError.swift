// How the CLI fails: one line on stderr, exit 1 for failures, 2 for usage errors.
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

enum Failure {
    /// Prints `sepia: <what> failed: ENOENT (-2) op: No such file or directory` and exits 1.
    static func exit(_ what: String, _ error: any Error) -> Never {
        var code: Int32 = 1
        let text: String
        switch error {
        case let e as ClientError: text = e.description
        case let e as SepiaError: text = e.description
        case let e as CLIError:
            text = e.description
            if case .usage = e { code = 2 }
        default: text = "\(error)"
        }
        FileHandle.standardError.write(Data("sepia: \(what) failed: \(text)\n".utf8))
        Foundation.exit(code)
    }

    /// A reply with a negative rc, printed the same way.
    static func exit(_ what: String, reply: Reply) -> Never {
        exit(what, ClientError.failed(reply))
    }
}
