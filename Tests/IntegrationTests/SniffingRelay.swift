// A TCP relay on loopback that forwards every byte to a target port and keeps a copy, so a
// test can look at what actually crosses the wire.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class SniffingRelay: @unchecked Sendable {
    // @unchecked Sendable: `captured` is touched under `lock` only; the descriptors are
    // immutable after init and each pump thread owns its pair.
    private(set) var port: UInt16 = 0
    private let listener: Int32
    private let targetPort: UInt16
    private let lock = NSLock()
    private var captured: [UInt8] = []

    init(targetPort: UInt16) throws {
        self.targetPort = targetPort
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard listener >= 0, bound == 0, listen(listener, 16) == 0 else { throw CocoaError(.fileWriteUnknown) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Everything relayed so far, both directions.
    var bytes: [UInt8] { lock.withLock { captured } }

    func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = port.bigEndian
        return a
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: targetPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { Glibc.close(client); Glibc.close(server); continue }
            Thread.detachNewThread { [self] in pump(from: client, to: server) }
            Thread.detachNewThread { [self] in pump(from: server, to: client) }
        }
    }

    private func pump(from: Int32, to: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(from, &buffer, buffer.count)
            guard n > 0 else { break }
            lock.withLock { captured += buffer[0..<n] }
            var sent = 0
            while sent < n {
                let w = buffer[sent..<n].withUnsafeBytes { write(to, $0.baseAddress, n - sent) }
                guard w > 0 else { break }
                sent += w
            }
        }
        shutdown(to, Int32(SHUT_WR))
    }
}
