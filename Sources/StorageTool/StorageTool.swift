// sepia-storage-tool: a crash-test writer and a commit benchmark for the Storage module.
//
//   sepia-storage-tool crash-writer DIR [COUNT]   stage+sync transactions, print acks
//   sepia-storage-tool bench [DIR] [SECONDS]      committed transactions/s table
//   sepia-storage-tool open DIR                   open a shard, print "ok" or the error
//                                                 (the permission test runs it as another user)
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
            case "open" where arguments.count == 2:
                _ = try ShardStore(path: arguments[1])
                print("ok")
            case "bench":
                let dir = arguments.count > 1 ? arguments[1] : nil
                let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 1 : 1
                try CommitBench(directory: dir, secondsPerCase: seconds).run()
            default:
                FileHandle.standardError.write(Data("""
                usage: sepia-storage-tool crash-writer DIR [COUNT]
                       sepia-storage-tool open DIR
                       sepia-storage-tool bench [DIR] [SECONDS-PER-CASE]

                """.utf8))
                exit(2)
            }
        } catch {
            // First line on stdout: "error RC KIND", machine-readable for tests.
            print("error \(error.rc) \(error.kind.rawValue)")
            FileHandle.standardError.write(Data("sepia-storage-tool: \(error)\n".utf8))
            exit(1)
        }
    }
}
