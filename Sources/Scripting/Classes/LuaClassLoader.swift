// Lua classes: every *.lua file of the classes folder, compiled once and pinned (never in the
// LRU), named after the file. A file that fails is reported and skipped, never fatal.
import CLuaJIT
import Codec
import Foundation

/// What `loadClasses` did.
public struct ClassLoadReport: Sendable, Equatable {
    public var loaded: [String] = []
    public var failed: [String: ErrorInfo] = [:]
}

extension LuaRuntime {
    /// (Re)loads every `*.lua` of `config.classesDirectory`.
    @discardableResult
    public func loadClasses() -> ClassLoadReport {
        var report = ClassLoadReport()
        guard let directory = config.classesDirectory else { return report }
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            report.failed[directory] = ErrorInfo(kind: .storage, message: "cannot list \(directory): \(error)")
            return report
        }
        for file in files.sorted() where file.hasSuffix(".lua") {
            let name = String(file.dropLast(4))
            let path = (directory as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path) else {
                report.failed[name] = ErrorInfo(kind: .storage, message: "cannot read \(path)")
                continue
            }
            switch installClass(name, source: Bytes(data)) {
            case .success: report.loaded.append(name)
            case .failure(let error): report.failed[name] = error.info
            }
        }
        return report
    }

    /// Compiles and pins one Lua class (replacing one of the same name).
    public func installClass(_ name: String, source: Bytes) -> Result<Void, SepiaError> {
        compile(source, chunkName: "=\(name)").map { ref in
            if let old = luaClasses[name] { luaL_unref(L, sepia_lua_registryindex(), old) }
            luaClasses[name] = ref
        }
    }
}
