// The wire messages: a client's request, the worker's reply, and the broker<->worker control
// messages. Encoding lives in the *+Wire.swift files; see docs/protocol.md for the byte layout.

/// The protocol version this build speaks. Anything else is refused with `DecodeError.version`.
public let protocolVersion: Int = 1

/// How a committed transaction reaches the disk.
public enum Durability: String, Sendable, Equatable {
    /// The reply waits for the sync (default).
    case sync
    /// Written to the OS, not synced: a crash may lose it. Explicit opt-in.
    case none
}

/// Per-request lowering of the worker's configured limits (a request can only lower them).
public struct CallLimits: Sendable, Equatable {
    /// Lua instruction budget for the whole request.
    public var instructions: UInt64?
    /// Lua memory cap in bytes.
    public var memoryBytes: UInt64?
    /// Maximum output bytes per exec/call op.
    public var outputBytes: UInt64?
    public init(instructions: UInt64? = nil, memoryBytes: UInt64? = nil, outputBytes: UInt64? = nil) {
        self.instructions = instructions
        self.memoryBytes = memoryBytes
        self.outputBytes = outputBytes
    }
    public var isEmpty: Bool { instructions == nil && memoryBytes == nil && outputBytes == nil }
}

/// The script an exec op runs: its source, or the SHA-256 of a source the worker has cached.
public enum ScriptRef: Sendable, Equatable {
    case source(Bytes)
    case sha(Bytes)  // 32 raw bytes
}

/// One operation of a request. A request's ops run in order as ONE transaction.
public enum Op: Sendable, Equatable {
    /// Run `handler` of a Lua script with `input`.
    case exec(script: ScriptRef, handler: String, input: Bytes)
    /// Call `method` of an installed class (Lua class file or native Swift class).
    case call(className: String, method: String, input: Bytes)
    case create(exclusive: Bool)
    case remove
    case stat
    /// Read `length` bytes at `offset`; length 0 reads to the end.
    case read(offset: UInt64, length: UInt64)
    case write(offset: UInt64, data: Bytes)
    case writeFull(data: Bytes)
    case append(data: Bytes)
    case truncate(size: UInt64)
    case getXattr(name: Bytes)
    case getXattrs
    case setXattr(name: Bytes, value: Bytes)
    case rmXattr(name: Bytes)
    /// Keys strictly after `startAfter`, at most `max`.
    case omapGetKeys(startAfter: Bytes, max: UInt64)
    /// Entries strictly after `startAfter` whose key starts with `prefix`, at most `max`.
    case omapGetVals(startAfter: Bytes, prefix: Bytes, max: UInt64)
    case omapGetValsByKeys(keys: [Bytes])
    case omapSet(entries: [KeyValue])
    case omapRemoveKeys(keys: [Bytes])
    case omapClear
    case omapGetHeader
    case omapSetHeader(data: Bytes)
    /// Object names of the request's shard (`Request.shard`), strictly after `startAfter`,
    /// starting with `prefix`, at most `max`. Result: `.keys`.
    case listObjects(startAfter: Bytes, prefix: Bytes, max: UInt64)

    /// True for ops that never change the object. exec/call decide at run time.
    public var isPrimitiveRead: Bool {
        switch self {
        case .stat, .read, .getXattr, .getXattrs, .omapGetKeys, .omapGetVals,
             .omapGetValsByKeys, .omapGetHeader, .listObjects: true
        default: false
        }
    }
}

/// An omap entry.
public struct KeyValue: Sendable, Equatable, Hashable {
    public var key: Bytes
    public var value: Bytes
    public init(_ key: Bytes, _ value: Bytes) { self.key = key; self.value = value }
}

/// What stat returns.
public struct ObjectStat: Sendable, Equatable {
    public var size: UInt64
    /// Modification time, nanoseconds since the Unix epoch.
    public var mtimeNanos: UInt64
    /// The object's user version: incremented by every committed write transaction.
    public var version: UInt64
    public init(size: UInt64, mtimeNanos: UInt64, version: UInt64) {
        self.size = size
        self.mtimeNanos = mtimeNanos
        self.version = version
    }
}

/// The result of one op.
public enum OpResult: Sendable, Equatable {
    /// The op returned nothing (writes).
    case none
    /// Bytes: read, getxattr, omap header.
    case data(Bytes)
    /// exec / call: the handler's rc and its output bytes.
    case output(rc: Int32, data: Bytes)
    case stat(ObjectStat)
    /// getxattrs, omap get vals / by keys: entries in key order; `more` when `max` cut the list.
    case entries([KeyValue], more: Bool)
    /// omap get keys.
    case keys([Bytes], more: Bool)
}

/// What a failure says beyond its rc.
public struct ErrorInfo: Sendable, Equatable {
    public var kind: ErrorKind
    public var message: String
    /// The Lua source line, when the failure happened in a script.
    public var line: Int?
    public init(kind: ErrorKind, message: String, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
    }
}

/// Request flags.
public struct RequestFlags: OptionSet, Sendable, Equatable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Every write fails with EROFS; nothing is committed.
    public static let readOnly = RequestFlags(rawValue: 1 << 0)
    /// Return the call's log lines (cls.log, print) in the reply.
    public static let wantLogs = RequestFlags(rawValue: 1 << 1)
    /// Benchmarks: the worker answers rc 0 at once, without decoding the ops, touching
    /// storage or running Lua (the transport's floor through broker and worker).
    public static let echo = RequestFlags(rawValue: 1 << 2)
}

/// A client's request: ops on one object, applied as one transaction.
public struct Request: Sendable, Equatable {
    public var version: Int
    /// The client's identity (random, chosen once per client); with `id` the key of the
    /// exactly-once record. Empty means "no dedup" (reads are never recorded).
    public var client: Bytes
    /// Unique per client, stable across retries.
    public var id: UInt64
    public var oid: Bytes
    public var ops: [Op]
    public var flags: RequestFlags
    /// Milliseconds the client still waits for this reply (relative, so hosts need no shared
    /// clock). nil: no deadline.
    public var timeoutMillis: UInt64?
    /// nil: the worker's configured default.
    public var durability: Durability?
    public var limits: CallLimits
    /// Route to this shard instead of the oid's (for listing a shard's objects).
    public var shard: UInt32?

    public init(client: Bytes = [], id: UInt64, oid: Bytes, ops: [Op], flags: RequestFlags = [],
                timeoutMillis: UInt64? = nil, durability: Durability? = nil,
                limits: CallLimits = CallLimits(), shard: UInt32? = nil, version: Int = protocolVersion) {
        self.shard = shard
        self.version = version
        self.client = client
        self.id = id
        self.oid = oid
        self.ops = ops
        self.flags = flags
        self.timeoutMillis = timeoutMillis
        self.durability = durability
        self.limits = limits
    }
}

/// The answer to a request.
public struct Reply: Sendable, Equatable {
    public var id: UInt64
    /// 0 or positive: success (a handler's positive rc is passed through); negative: -errno.
    public var rc: Int32
    /// One result per op that ran. On failure, results of the ops before the failing one and
    /// the failing exec's output are still present (nothing was committed).
    public var results: [OpResult]
    public var error: ErrorInfo?
    /// Log lines of the call, when the request asked for them.
    public var logs: [String]?

    public init(id: UInt64, rc: Int32, results: [OpResult] = [], error: ErrorInfo? = nil,
                logs: [String]? = nil) {
        self.id = id
        self.rc = rc
        self.results = results
        self.error = error
        self.logs = logs
    }

    /// A failure reply built from a Swift error that knows its wire form.
    public init(id: UInt64, failure: any ResultCodeError, results: [OpResult] = []) {
        self.init(id: id, rc: failure.rc, results: results, error: failure.info)
    }
}

/// Broker <-> worker control messages (the request and reply bodies travel as-is beside them).
public enum Control: Sendable, Equatable {
    /// Worker -> broker: I am here. `worker` is unique per worker slot (process + thread).
    case ready(ReadyInfo)
    /// Both ways, every heartbeat interval. `epoch` is the sender's shard map epoch.
    case heartbeat(epoch: UInt64)
    /// Broker -> worker: own these shards from `epoch` on (open them, then answer `opened`).
    case assign(epoch: UInt64, shardCount: UInt32, shards: [UInt32])
    /// Worker -> broker: these shards are open and serving.
    case opened(epoch: UInt64, shards: [UInt32])
    /// Broker -> worker: stop serving these shards (finish in-flight work, close, answer `released`).
    case release(epoch: UInt64, shards: [UInt32])
    /// Worker -> broker: these shards are closed.
    case released(epoch: UInt64, shards: [UInt32])
    /// Either way: goodbye (graceful leave, or the broker refusing/fencing a worker).
    case disconnect(reason: String)
    /// Worker -> broker, every heartbeat interval while anything changed: latency by handler/class since the slot started.
    case stats([HandlerStats])
}

/// How one handler (`exec:NAME`), class method (`call:CLASS.METHOD`) or plain op request
/// (`ops`) has fared on a worker slot.
public struct HandlerStats: Sendable, Equatable, Codable {
    public var name: String
    public var count: UInt64
    public var errors: UInt64
    public var p50Micros: UInt64
    public var p99Micros: UInt64
    public init(name: String, count: UInt64, errors: UInt64, p50Micros: UInt64, p99Micros: UInt64) {
        self.name = name
        self.count = count
        self.errors = errors
        self.p50Micros = p50Micros
        self.p99Micros = p99Micros
    }
}

public struct ReadyInfo: Sendable, Equatable {
    public var worker: String
    public var pid: Int32
    public var host: String
    public var thread: UInt32
    public var threads: UInt32
    public init(worker: String, pid: Int32, host: String, thread: UInt32, threads: UInt32) {
        self.worker = worker
        self.pid = pid
        self.host = host
        self.thread = thread
        self.threads = threads
    }
}
