// A request on the wire: one msgpack map (keys in docs/protocol.md). The header fields come
// first and "ops" last, so RequestHeader.peek reads what the broker routes on early.

extension Request {
    /// The msgpack body of this request.
    public func encode() -> Bytes {
        Packer.pack(capacity: 64 + oid.count + client.count + ops.reduce(0) { $0 + $1.sizeHint }) { p in
            var fields = 5  // v c i o ops
            if timeoutMillis != nil { fields += 1 }
            if !flags.isEmpty { fields += 1 }
            if durability != nil { fields += 1 }
            if !limits.isEmpty { fields += 1 }
            if shard != nil { fields += 1 }
            p.map(fields)
            p.str("v"); p.int(Int64(version))
            p.str("c"); p.bin(client)
            p.str("i"); p.uint(id)
            p.str("o"); p.bin(oid)
            if let timeoutMillis { p.str("t"); p.uint(timeoutMillis) }
            if !flags.isEmpty { p.str("f"); p.uint(UInt64(flags.rawValue)) }
            if let durability { p.str("d"); p.str(durability.rawValue) }
            if !limits.isEmpty { p.str("l"); limits.pack(into: p) }
            if let shard { p.str("s"); p.uint(UInt64(shard)) }
            p.str("ops")
            p.array(ops.count)
            for op in ops { op.pack(into: p) }
        }
    }

    public static func decode(_ bytes: Bytes, limits: DecodeLimits = .default) throws(DecodeError) -> Request {
        try Unpacker.decode(bytes, limits: limits) { root throws(DecodeError) in try Request(wire: root) }
    }

    /// Decodes a request body in place (e.g. straight from a ZeroMQ message).
    public static func decode(_ buffer: UnsafeRawBufferPointer, limits: DecodeLimits = .default) throws(DecodeError) -> Request {
        try Unpacker.withRoot(buffer, limits: limits) { root throws(DecodeError) in try Request(wire: root) }
    }

    init(wire root: WireValue) throws(DecodeError) {
        var version: Int?
        var client: Bytes = []
        var id: UInt64?
        var oid: Bytes?
        var ops: [Op]?
        var flags = RequestFlags()
        var timeout: UInt64?
        var durability: Durability?
        var limits = CallLimits()
        var shard: UInt32?
        try root.forEachField("request") { key, value throws(DecodeError) in
            switch key {
            case "v": version = Int(try value.int64("v"))
            case "c": client = try value.bytes("c")
            case "i": id = try value.uint64("i")
            case "o": oid = try value.bytes("o")
            case "t": timeout = try value.uint64("t")
            case "f": flags = RequestFlags(rawValue: try value.uint32("f"))
            case "d": durability = try Durability(wire: value)
            case "l": limits = try CallLimits(wire: value)
            case "s": shard = try value.uint32("s")
            case "ops": ops = try value.array("ops") { item throws(DecodeError) in try Op(wire: item) }
            default: break  // unknown keys are ignored: newer clients may add fields
            }
        }
        // The version is checked first: an unknown version may mean any other field.
        guard let version else { throw .missingField("v") }
        guard version == protocolVersion else { throw .unsupportedVersion(version) }
        guard let id else { throw .missingField("i") }
        guard let oid else { throw .missingField("o") }
        guard let ops else { throw .missingField("ops") }
        self.init(client: client, id: id, oid: oid, ops: ops, flags: flags, timeoutMillis: timeout,
                  durability: durability, limits: limits, shard: shard, version: version)
    }
}

extension Durability {
    init(wire value: WireValue) throws(DecodeError) {
        let name = WireKey(bytes: try value.rawBytes("d"))
        switch name {
        case "sync": self = .sync
        case "none": self = .none
        default: throw .invalid("field 'd': unknown durability '\(name.text)' (sync or none)")
        }
    }
}

extension CallLimits {
    func pack(into p: Packer) {
        var fields = 0
        if instructions != nil { fields += 1 }
        if memoryBytes != nil { fields += 1 }
        if outputBytes != nil { fields += 1 }
        p.map(fields)
        if let instructions { p.str("ins"); p.uint(instructions) }
        if let memoryBytes { p.str("mem"); p.uint(memoryBytes) }
        if let outputBytes { p.str("out"); p.uint(outputBytes) }
    }

    init(wire value: WireValue) throws(DecodeError) {
        self.init()
        var limits = self
        try value.forEachField("l") { key, v throws(DecodeError) in
            switch key {
            case "ins": limits.instructions = try v.uint64("l.ins")
            case "mem": limits.memoryBytes = try v.uint64("l.mem")
            case "out": limits.outputBytes = try v.uint64("l.out")
            default: break
            }
        }
        self = limits
    }
}
