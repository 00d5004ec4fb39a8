// Native Swift object classes: called through LuaRuntime.call like Lua classes (as Ceph's
// compiled-in RADOS classes are). A method reads and writes the object only through
// ObjectAccess, and returns its output or throws a SepiaError (→ its rc and kind).
import Codec
import Storage

/// One native class: a name and its methods.
public struct NativeClass: Sendable {
    public typealias Method = @Sendable (_ input: Bytes, _ object: any ObjectAccess,
                                         _ context: CallContext) throws(SepiaError) -> Bytes
    public let name: String
    public let methods: [String: Method]

    public init(name: String, methods: [String: Method]) {
        self.name = name
        self.methods = methods
    }

    /// The classes every runtime has.
    public static let builtIn: [NativeClass] = [HashClass.native]

    func call(method: String, input: Bytes, object: any ObjectAccess, context: CallContext) -> CallOutcome {
        guard let body = methods[method] else {
            return CallOutcome(SepiaError(.EOPNOTSUPP, .handler, "class '\(name)' has no method '\(method)'"))
        }
        do {
            return CallOutcome(rc: 0, output: try body(input, object, context))
        } catch {
            return CallOutcome(error)
        }
    }
}

extension LuaRuntime {
    /// Installs (or replaces) a native class.
    public func install(_ nativeClass: NativeClass) {
        nativeClasses[nativeClass.name] = nativeClass
    }
}
