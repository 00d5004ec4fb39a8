// A reply on the wire: one msgpack map {"v","i","rc","r","e"?,"g"?} (docs/protocol.md).

extension Reply {
    public func encode() -> Bytes {
        var capacity = 32
        for result in results { capacity += result.sizeHint }
        return Packer.pack(capacity: capacity) { p in
            p.map(4 + (error == nil ? 0 : 1) + (logs == nil ? 0 : 1))
            p.str("v"); p.int(Int64(protocolVersion))
            p.str("i"); p.uint(id)
            p.str("rc"); p.int(Int64(rc))
            p.str("r")
            p.array(results.count)
            for result in results { result.pack(into: p) }
            if let error {
                p.str("e")
                p.map(error.line == nil ? 2 : 3)
                p.str("k"); p.str(error.kind.rawValue)
                p.str("m"); p.str(error.message)
                if let line = error.line { p.str("l"); p.int(Int64(line)) }
            }
            if let logs {
                p.str("g")
                p.array(logs.count)
                for line in logs { p.str(line) }
            }
        }
    }

    public static func decode(_ bytes: Bytes, limits: DecodeLimits = .default) throws(DecodeError) -> Reply {
        try Unpacker.decode(bytes, limits: limits) { root throws(DecodeError) in try Reply(wire: root) }
    }

    public static func decode(_ buffer: UnsafeRawBufferPointer, limits: DecodeLimits = .default) throws(DecodeError) -> Reply {
        try Unpacker.withRoot(buffer, limits: limits) { root throws(DecodeError) in try Reply(wire: root) }
    }

    init(wire root: WireValue) throws(DecodeError) {
        var version: Int?
        var id: UInt64?
        var rc: Int32?
        var results: [OpResult] = []
        var error: ErrorInfo?
        var logs: [String]?
        try root.forEachField("reply") { key, value throws(DecodeError) in
            switch key {
            case "v": version = Int(try value.int64("v"))
            case "i": id = try value.uint64("i")
            case "rc": rc = try value.int32("rc")
            case "r": results = try value.array("r") { item throws(DecodeError) in try OpResult(wire: item) }
            case "e": error = try ErrorInfo(wire: value)
            case "g": logs = try value.array("g") { l throws(DecodeError) in try l.string("g[]") }
            default: break
            }
        }
        // "v" may be absent in replies (a minimal server); when present it must match.
        if let version, version != protocolVersion { throw .unsupportedVersion(version) }
        guard let id else { throw .missingField("i") }
        guard let rc else { throw .missingField("rc") }
        self.init(id: id, rc: rc, results: results, error: error, logs: logs)
    }
}

extension ErrorInfo {
    init(wire value: WireValue) throws(DecodeError) {
        var kind: ErrorKind?
        var message = ""
        var line: Int?
        try value.forEachField("e") { key, v throws(DecodeError) in
            switch key {
            case "k":
                let name = try v.string("e.k")
                guard let known = ErrorKind(rawValue: name) else {
                    throw .invalid("field 'e.k': unknown error kind '\(name)'")
                }
                kind = known
            case "m": message = try v.string("e.m")
            case "l": line = Int(try v.int64("e.l"))
            default: break
            }
        }
        guard let kind else { throw .missingField("e.k") }
        self.init(kind: kind, message: message, line: line)
    }
}

extension OpResult {
    var sizeHint: Int {
        switch self {
        case .none: 1
        case let .data(d), let .output(_, d): 16 + d.count
        case .stat: 48
        case let .entries(kv, _): 24 + kv.reduce(0) { $0 + $1.key.count + $1.value.count + 4 }
        case let .keys(keys, _): 24 + keys.reduce(0) { $0 + $1.count + 2 }
        }
    }

    /// `.none` is nil; every other result is a map tagged by "k".
    func pack(into p: Packer) {
        switch self {
        case .none:
            p.nil_()
        case let .data(data):
            p.map(2)
            p.str("k"); p.str("data")
            p.str("d"); p.bin(data)
        case let .output(rc, data):
            p.map(3)
            p.str("k"); p.str("out")
            p.str("rc"); p.int(Int64(rc))
            p.str("d"); p.bin(data)
        case let .stat(stat):
            p.map(4)
            p.str("k"); p.str("stat")
            p.str("size"); p.uint(stat.size)
            p.str("mtime"); p.uint(stat.mtimeNanos)
            p.str("ver"); p.uint(stat.version)
        case let .entries(entries, more):
            p.map(3)
            p.str("k"); p.str("kv")
            p.str("kv"); p.entries(entries)
            p.str("more"); p.bool(more)
        case let .keys(keys, more):
            p.map(3)
            p.str("k"); p.str("keys")
            p.str("keys"); p.binArray(keys)
            p.str("more"); p.bool(more)
        }
    }

    init(wire value: WireValue) throws(DecodeError) {
        if value.isNil { self = .none; return }
        var kind: UnsafeRawBufferPointer?
        var rc: Int32?
        var data: Bytes?
        var size: UInt64?, mtime: UInt64?, version: UInt64?
        var entries: [KeyValue]?
        var keys: [Bytes]?
        var more = false
        try value.forEachField("r[]") { key, v throws(DecodeError) in
            switch key {
            case "k": kind = try v.rawBytes("r[].k")
            case "rc": rc = try v.int32("r[].rc")
            case "d": data = try v.bytes("r[].d")
            case "size": size = try v.uint64("r[].size")
            case "mtime": mtime = try v.uint64("r[].mtime")
            case "ver": version = try v.uint64("r[].ver")
            case "kv": entries = try v.entries("r[].kv")
            case "keys": keys = try v.array("r[].keys") { k throws(DecodeError) in try k.bytes("r[].keys[]") }
            case "more": more = try v.bool("r[].more")
            default: break
            }
        }
        guard let kind else { throw .missingField("r[].k") }
        let name = WireKey(bytes: kind)
        switch name {
        case "none": self = .none
        case "data": self = .data(data ?? [])
        case "out":
            guard let rc else { throw .missingField("r[].rc") }
            self = .output(rc: rc, data: data ?? [])
        case "stat":
            guard let size else { throw .missingField("r[].size") }
            self = .stat(ObjectStat(size: size, mtimeNanos: mtime ?? 0, version: version ?? 0))
        case "kv": self = .entries(entries ?? [], more: more)
        case "keys": self = .keys(keys ?? [], more: more)
        default: throw .invalid("field 'r[].k': unknown result kind '\(name.text)'")
        }
    }
}
