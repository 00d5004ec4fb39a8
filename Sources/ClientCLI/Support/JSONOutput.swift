// --json output: one JSON object per command, built from plain dictionaries.
import Client
import Codec
import Foundation

enum JSONOutput {
    static func print(_ object: Any) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    static func error(_ info: ErrorInfo?) -> Any {
        guard let info else { return NSNull() }
        return ["kind": info.kind.rawValue, "message": info.message, "line": info.line.map { $0 as Any } ?? NSNull()]
    }

    static func callResult(_ r: CallResult, includeLogs: Bool) -> [String: Any] {
        var doc: [String: Any] = ["rc": Int(r.rc), "output_b64": Data(r.output).base64EncodedString(), "error": error(r.error)]
        if includeLogs { doc["logs"] = r.logs ?? [] }
        return doc
    }

    /// Bytes as text when they are UTF-8, else base64 under a `_b64` key.
    static func bytesField(_ name: String, _ bytes: Bytes, into doc: inout [String: Any]) {
        if let s = String(validating: bytes, as: UTF8.self) {
            doc[name] = s
        } else {
            doc[name + "_b64"] = Data(bytes).base64EncodedString()
        }
    }

    static func text(_ bytes: Bytes) -> String {
        String(validating: bytes, as: UTF8.self) ?? "base64:" + Data(bytes).base64EncodedString()
    }
}
