// Process facts without importing Foundation into every file.
import Foundation

enum ProcessInfoShim {
    static var activeCores: Int { ProcessInfo.processInfo.activeProcessorCount }
    static var pid: Int32 { ProcessInfo.processInfo.processIdentifier }
    static var hostName: String { ProcessInfo.processInfo.hostName }
}
