// sepia-storage-tool: a crash-test writer and a commit benchmark for the Storage module.
//
//   sepia-storage-tool crash-writer DIR [COUNT]   stage+sync transactions, print acks
//   sepia-storage-tool bench [DIR] [SECONDS]      committed transactions/s table
import Codec
import Foundation
import Storage

@main
enum StorageTool {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do throws(SepiaError) {
            switch arguments.first {
            case "crash-writer" where arguments.count >= 2:
                let count = arguments.count > 2 ? UInt64(arguments[2]) ?? .max : .max
                try CrashWriter(path: arguments[1]).run(count: count)
            case "bench":
                let dir = arguments.count > 1 ? arguments[1] : nil
                let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 1 : 1
                try CommitBench(directory: dir, secondsPerCase: seconds).run()
            default:
                FileHandle.standardError.write(Data("""
                usage: sepia-storage-tool crash-writer DIR [COUNT]
                       sepia-storage-tool bench [DIR] [SECONDS-PER-CASE]

                """.utf8))
                exit(2)
            }
        } catch {
            FileHandle.standardError.write(Data("sepia-storage-tool: \(error)\n".utf8))
            exit(1)
        }
    }
}
