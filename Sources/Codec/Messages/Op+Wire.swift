// An op on the wire: a map with "op" (the kind name) and the kind's fields.

extension Op {
    /// The wire name of this op's kind.
    public var kindName: String { String(describing: wireKind) }

    private var wireKind: StaticString {
        switch self {
        case .exec: "exec"
        case .call: "call"
        case .create: "create"
        case .remove: "remove"
        case .stat: "stat"
        case .read: "read"
        case .write: "write"
        case .writeFull: "write_full"
        case .append: "append"
        case .truncate: "truncate"
        case .getXattr: "getxattr"
        case .getXattrs: "getxattrs"
        case .setXattr: "setxattr"
        case .rmXattr: "rmxattr"
        case .omapGetKeys: "omap_get_keys"
        case .omapGetVals: "omap_get_vals"
        case .omapGetValsByKeys: "omap_get_vals_by_keys"
        case .omapSet: "omap_set"
        case .omapRemoveKeys: "omap_rm_keys"
        case .omapClear: "omap_clear"
        case .omapGetHeader: "omap_get_header"
        case .omapSetHeader: "omap_set_header"
        case .listObjects: "list_objects"
        }
    }

    /// Every op kind name this build understands, for documentation and tests.
    public static let kindNames: [String] = [
        "exec", "call", "create", "remove", "stat", "read", "write", "write_full", "append",
        "truncate", "getxattr", "getxattrs", "setxattr", "rmxattr", "omap_get_keys",
        "omap_get_vals", "omap_get_vals_by_keys", "omap_set", "omap_rm_keys", "omap_clear",
        "omap_get_header", "omap_set_header", "list_objects",
    ]

    /// Roughly the encoded size, so the encoder reserves once even for large payloads.
    var sizeHint: Int {
        switch self {
        case let .exec(script, handler, input):
            switch script {
            case let .source(bytes), let .sha(bytes): 32 + bytes.count + handler.utf8.count + input.count
            }
        case let .call(className, method, input): 32 + className.utf8.count + method.utf8.count + input.count
        case let .write(_, data), let .writeFull(data), let .append(data), let .omapSetHeader(data): 32 + data.count
        case let .setXattr(name, value): 32 + name.count + value.count
        case let .omapGetValsByKeys(keys), let .omapRemoveKeys(keys): 32 + keys.reduce(0) { $0 + $1.count + 5 }
        case let .omapSet(entries): 32 + entries.reduce(0) { $0 + $1.key.count + $1.value.count + 10 }
        default: 48
        }
    }

    /// Starts the op's map: "op" and the kind, then `fields` more pairs follow.
    private func begin(_ p: Packer, fields: Int) {
        p.map(fields + 1)
        p.str("op"); p.str(wireKind)
    }

    func pack(into p: Packer) {
        switch self {
        case let .exec(script, handler, input):
            begin(p, fields: 3)
            switch script {
            case let .source(source): p.str("src"); p.bin(source)
            case let .sha(sha): p.str("sha"); p.bin(sha)
            }
            p.str("h"); p.str(handler)
            p.str("in"); p.bin(input)
        case let .call(className, method, input):
            begin(p, fields: 3)
            p.str("cls"); p.str(className)
            p.str("m"); p.str(method)
            p.str("in"); p.bin(input)
        case let .create(exclusive):
            begin(p, fields: 1)
            p.str("x"); p.bool(exclusive)
        case .remove, .stat, .getXattrs, .omapClear, .omapGetHeader:
            begin(p, fields: 0)
        case let .read(offset, length):
            begin(p, fields: 2)
            p.str("off"); p.uint(offset)
            p.str("len"); p.uint(length)
        case let .write(offset, data):
            begin(p, fields: 2)
            p.str("off"); p.uint(offset)
            p.str("data"); p.bin(data)
        case let .writeFull(data), let .append(data), let .omapSetHeader(data):
            begin(p, fields: 1)
            p.str("data"); p.bin(data)
        case let .truncate(size):
            begin(p, fields: 1)
            p.str("size"); p.uint(size)
        case let .getXattr(name), let .rmXattr(name):
            begin(p, fields: 1)
            p.str("name"); p.bin(name)
        case let .setXattr(name, value):
            begin(p, fields: 2)
            p.str("name"); p.bin(name)
            p.str("val"); p.bin(value)
        case let .omapGetKeys(startAfter, max):
            begin(p, fields: 2)
            p.str("after"); p.bin(startAfter)
            p.str("max"); p.uint(max)
        case let .omapGetVals(startAfter, prefix, max), let .listObjects(startAfter, prefix, max):
            begin(p, fields: 3)
            p.str("after"); p.bin(startAfter)
            p.str("prefix"); p.bin(prefix)
            p.str("max"); p.uint(max)
        case let .omapGetValsByKeys(keys), let .omapRemoveKeys(keys):
            begin(p, fields: 1)
            p.str("keys"); p.binArray(keys)
        case let .omapSet(entries):
            begin(p, fields: 1)
            p.str("kv"); p.entries(entries)
        }
    }

    init(wire value: WireValue) throws(DecodeError) {
        // One pass collects every field an op may carry; the kind then picks its own.
        var kind: UnsafeRawBufferPointer?
        var f = OpFields()
        try value.forEachField("ops[]") { key, v throws(DecodeError) in
            switch key {
            case "op": kind = try v.rawBytes("op")
            case "src": f.source = try v.bytes("src")
            case "sha": f.sha = try v.bytes("sha")
            case "h": f.handler = try v.string("h")
            case "in": f.input = try v.bytes("in")
            case "cls": f.className = try v.string("cls")
            case "m": f.method = try v.string("m")
            case "x": f.exclusive = try v.bool("x")
            case "off": f.offset = try v.uint64("off")
            case "len": f.length = try v.uint64("len")
            case "data": f.data = try v.bytes("data")
            case "size": f.size = try v.uint64("size")
            case "name": f.name = try v.bytes("name")
            case "val": f.value = try v.bytes("val")
            case "after": f.after = try v.bytes("after")
            case "prefix": f.prefix = try v.bytes("prefix")
            case "max": f.max = try v.uint64("max")
            case "keys": f.keys = try v.array("keys") { k throws(DecodeError) in try k.bytes("keys[]") }
            case "kv": f.entries = try v.entries("kv")
            default: break
            }
        }
        guard let kind else { throw .missingField("op") }
        let name = WireKey(bytes: kind)
        switch name {
        case "exec":
            let script: ScriptRef
            if let source = f.source {
                script = .source(source)
            } else if let sha = f.sha {
                guard sha.count == 32 else { throw .invalid("field 'sha': expected 32 bytes, got \(sha.count)") }
                script = .sha(sha)
            } else {
                throw .missingField("src")
            }
            self = .exec(script: script, handler: try f.required(f.handler, "h"), input: f.input ?? [])
        case "call":
            self = .call(className: try f.required(f.className, "cls"),
                         method: try f.required(f.method, "m"), input: f.input ?? [])
        case "create": self = .create(exclusive: f.exclusive ?? false)
        case "remove": self = .remove
        case "stat": self = .stat
        case "read": self = .read(offset: f.offset ?? 0, length: f.length ?? 0)
        case "write": self = .write(offset: f.offset ?? 0, data: try f.required(f.data, "data"))
        case "write_full": self = .writeFull(data: try f.required(f.data, "data"))
        case "append": self = .append(data: try f.required(f.data, "data"))
        case "truncate": self = .truncate(size: try f.required(f.size, "size"))
        case "getxattr": self = .getXattr(name: try f.required(f.name, "name"))
        case "getxattrs": self = .getXattrs
        case "setxattr":
            self = .setXattr(name: try f.required(f.name, "name"), value: try f.required(f.value, "val"))
        case "rmxattr": self = .rmXattr(name: try f.required(f.name, "name"))
        case "omap_get_keys": self = .omapGetKeys(startAfter: f.after ?? [], max: f.max ?? .max)
        case "omap_get_vals":
            self = .omapGetVals(startAfter: f.after ?? [], prefix: f.prefix ?? [], max: f.max ?? .max)
        case "omap_get_vals_by_keys": self = .omapGetValsByKeys(keys: try f.required(f.keys, "keys"))
        case "omap_set": self = .omapSet(entries: try f.required(f.entries, "kv"))
        case "omap_rm_keys": self = .omapRemoveKeys(keys: try f.required(f.keys, "keys"))
        case "omap_clear": self = .omapClear
        case "omap_get_header": self = .omapGetHeader
        case "omap_set_header": self = .omapSetHeader(data: try f.required(f.data, "data"))
        case "list_objects":
            self = .listObjects(startAfter: f.after ?? [], prefix: f.prefix ?? [], max: f.max ?? 1000)
        default: throw .unknownOp(name.text)
        }
    }
}

/// The fields an op map may carry, gathered before the kind is known (keys come in any order).
private struct OpFields {
    var source: Bytes?, sha: Bytes?, handler: String?, input: Bytes?
    var className: String?, method: String?
    var exclusive: Bool?
    var offset: UInt64?, length: UInt64?, size: UInt64?, max: UInt64?
    var data: Bytes?, name: Bytes?, value: Bytes?, after: Bytes?, prefix: Bytes?
    var keys: [Bytes]?
    var entries: [KeyValue]?

    func required<T>(_ value: T?, _ field: String) throws(DecodeError) -> T {
        guard let value else { throw .missingField(field) }
        return value
    }
}

extension Packer {
    func binArray(_ items: [Bytes]) {
        array(items.count)
        for item in items { bin(item) }
    }

    /// Entries as a msgpack map with bin keys, in the array's order.
    func entries(_ entries: [KeyValue]) {
        map(entries.count)
        for e in entries { bin(e.key); bin(e.value) }
    }
}

extension WireValue {
    func entries(_ field: String) throws(DecodeError) -> [KeyValue] {
        let pairs = try map(field)
        var out: [KeyValue] = []
        out.reserveCapacity(pairs.count)
        for pair in pairs {
            out.append(KeyValue(try WireValue(pair.key).bytes("\(field) key"),
                                try WireValue(pair.val).bytes("\(field) value")))
        }
        return out
    }
}
