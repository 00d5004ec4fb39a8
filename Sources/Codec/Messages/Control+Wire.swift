// Broker <-> worker control messages on the wire: one msgpack map tagged by "t".

extension Control {
    /// The wire name of this message's type.
    public var typeName: String {
        switch self {
        case .ready: "ready"
        case .heartbeat: "hb"
        case .assign: "assign"
        case .opened: "opened"
        case .release: "release"
        case .released: "released"
        case .disconnect: "bye"
        case .stats: "stats"
        }
    }

    public func encode() -> Bytes {
        Packer.pack { p in
            switch self {
            case let .ready(info):
                p.map(7)
                header(p)
                p.str("w"); p.str(info.worker)
                p.str("pid"); p.int(Int64(info.pid))
                p.str("host"); p.str(info.host)
                p.str("th"); p.uint(UInt64(info.thread))
                p.str("ths"); p.uint(UInt64(info.threads))
            case let .heartbeat(epoch):
                p.map(3)
                header(p)
                p.str("e"); p.uint(epoch)
            case let .assign(epoch, shardCount, shards):
                p.map(5)
                header(p)
                p.str("e"); p.uint(epoch)
                p.str("n"); p.uint(UInt64(shardCount))
                p.str("s"); Control.packShards(shards, p)
            case let .opened(epoch, shards), let .release(epoch, shards), let .released(epoch, shards):
                p.map(4)
                header(p)
                p.str("e"); p.uint(epoch)
                p.str("s"); Control.packShards(shards, p)
            case let .disconnect(reason):
                p.map(3)
                header(p)
                p.str("why"); p.str(reason)
            case let .stats(entries):
                p.map(3)
                header(p)
                p.str("h"); p.array(entries.count)
                for e in entries {
                    p.map(5)
                    p.str("n"); p.str(e.name)
                    p.str("c"); p.uint(e.count)
                    p.str("e"); p.uint(e.errors)
                    p.str("p50"); p.uint(e.p50Micros)
                    p.str("p99"); p.uint(e.p99Micros)
                }
            }
        }
    }

    private func header(_ p: Packer) {
        p.str("v"); p.int(Int64(protocolVersion))
        p.str("t"); p.str(typeName)
    }

    private static func packShards(_ shards: [UInt32], _ p: Packer) {
        p.array(shards.count)
        for shard in shards { p.uint(UInt64(shard)) }
    }

    public static func decode(_ bytes: Bytes, limits: DecodeLimits = .default) throws(DecodeError) -> Control {
        try Unpacker.decode(bytes, limits: limits) { root throws(DecodeError) in try Control(wire: root) }
    }

    public static func decode(_ buffer: UnsafeRawBufferPointer, limits: DecodeLimits = .default) throws(DecodeError) -> Control {
        try Unpacker.withRoot(buffer, limits: limits) { root throws(DecodeError) in try Control(wire: root) }
    }

    init(wire root: WireValue) throws(DecodeError) {
        var version: Int?
        var type: UnsafeRawBufferPointer?
        var worker: String?, host: String?, reason: String?
        var pid: Int32?
        var thread: UInt32?, threads: UInt32?, shardCount: UInt32?
        var epoch: UInt64?
        var shards: [UInt32]?
        var handlers: [HandlerStats]?
        try root.forEachField("control") { key, v throws(DecodeError) in
            switch key {
            case "v": version = Int(try v.int64("v"))
            case "t": type = try v.rawBytes("t")
            case "w": worker = try v.string("w")
            case "pid": pid = try v.int32("pid")
            case "host": host = try v.string("host")
            case "th": thread = try v.uint32("th")
            case "ths": threads = try v.uint32("ths")
            case "e": epoch = try v.uint64("e")
            case "n": shardCount = try v.uint32("n")
            case "s": shards = try v.array("s") { s throws(DecodeError) in try s.uint32("s[]") }
            case "why": reason = try v.string("why")
            case "h": handlers = try v.array("h") { item throws(DecodeError) in try HandlerStats(wire: item) }
            default: break
            }
        }
        guard let version else { throw .missingField("v") }
        guard version == protocolVersion else { throw .unsupportedVersion(version) }
        guard let type else { throw .missingField("t") }
        func need<T>(_ value: T?, _ field: String) throws(DecodeError) -> T {
            guard let value else { throw .missingField(field) }
            return value
        }
        let name = WireKey(bytes: type)
        switch name {
        case "ready":
            self = .ready(ReadyInfo(worker: try need(worker, "w"), pid: pid ?? 0, host: host ?? "",
                                    thread: thread ?? 0, threads: threads ?? 1))
        case "hb": self = .heartbeat(epoch: try need(epoch, "e"))
        case "assign":
            self = .assign(epoch: try need(epoch, "e"), shardCount: try need(shardCount, "n"),
                           shards: try need(shards, "s"))
        case "opened": self = .opened(epoch: try need(epoch, "e"), shards: try need(shards, "s"))
        case "release": self = .release(epoch: try need(epoch, "e"), shards: try need(shards, "s"))
        case "released": self = .released(epoch: try need(epoch, "e"), shards: try need(shards, "s"))
        case "bye": self = .disconnect(reason: reason ?? "")
        case "stats": self = .stats(try need(handlers, "h"))
        default: throw .invalid("field 't': unknown control type '\(name.text)'")
        }
    }
}

extension HandlerStats {
    init(wire value: WireValue) throws(DecodeError) {
        var name: String?
        var count: UInt64 = 0, errors: UInt64 = 0, p50: UInt64 = 0, p99: UInt64 = 0
        try value.forEachField("h[]") { key, v throws(DecodeError) in
            switch key {
            case "n": name = try v.string("n")
            case "c": count = try v.uint64("c")
            case "e": errors = try v.uint64("e")
            case "p50": p50 = try v.uint64("p50")
            case "p99": p99 = try v.uint64("p99")
            default: break
            }
        }
        guard let name else { throw .missingField("n") }
        self.init(name: name, count: count, errors: errors, p50Micros: p50, p99Micros: p99)
    }
}
