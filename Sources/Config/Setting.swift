// The table of every setting: its name, type, bounds and meaning. Loading, environment
// variables, overrides and the documentation checks all walk this one table.

/// One configurable setting, e.g. `broker.client_endpoint`.
public struct Setting: Sendable {
    public enum Value: Sendable {
        case int(WritableKeyPath<SepiaConfig, Int> & Sendable, minimum: Int)
        case string(WritableKeyPath<SepiaConfig, String> & Sendable, choices: [String]?)
        case strings(WritableKeyPath<SepiaConfig, [String]> & Sendable)
    }

    public let section: String
    public let key: String
    public let value: Value
    /// What the setting means (shown in docs and help).
    public let meaning: String

    /// "section.key", the name used in files' structure and in overrides.
    public var name: String { "\(section).\(key)" }

    /// SEPIA_<SECTION>_<KEY>, e.g. SEPIA_BROKER_CLIENT_ENDPOINT.
    public var environmentVariable: String { "SEPIA_\(section.uppercased())_\(key.uppercased())" }

    /// The expected type, in words, for errors.
    var expected: String {
        switch value {
        case .int(_, let minimum): "an integer >= \(minimum)"
        case .string(_, let choices?): "one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")
        case .string: "a string"
        case .strings: "a list of strings"
        }
    }

    /// The setting's value in `config`, as text (lists comma-separated).
    public func text(in config: SepiaConfig) -> String {
        switch value {
        case let .int(path, _): String(config[keyPath: path])
        case let .string(path, _): config[keyPath: path]
        case let .strings(path): config[keyPath: path].joined(separator: ",")
        }
    }

    private init(_ section: String, _ key: String, _ value: Value, _ meaning: String) {
        self.section = section
        self.key = key
        self.value = value
        self.meaning = meaning
    }

    private static func int(_ section: String, _ key: String, _ path: WritableKeyPath<SepiaConfig, Int> & Sendable,
                            min: Int = 1, _ meaning: String) -> Setting {
        Setting(section, key, .int(path, minimum: min), meaning)
    }

    private static func string(_ section: String, _ key: String, _ path: WritableKeyPath<SepiaConfig, String> & Sendable,
                               choices: [String]? = nil, _ meaning: String) -> Setting {
        Setting(section, key, .string(path, choices: choices), meaning)
    }

    /// Every setting, in file order.
    public static let all: [Setting] = [
        int("cluster", "shard_count", \.cluster.shardCount,
            "Shards (placement groups) of the cluster; fixed when the cluster is created"),
        string("cluster", "data_root", \.cluster.dataRoot,
               "Folder that holds each shard's LevelDB directory"),

        string("broker", "client_endpoint", \.broker.clientEndpoint, "ZeroMQ endpoint the broker binds for clients"),
        string("broker", "worker_endpoint", \.broker.workerEndpoint, "ZeroMQ endpoint the broker binds for workers"),
        int("broker", "heartbeat_interval_ms", \.broker.heartbeatIntervalMs,
            "Milliseconds between heartbeats, both ways"),
        int("broker", "heartbeat_liveness", \.broker.heartbeatLiveness,
            "Heartbeats a worker may miss before the broker counts it dead and moves its shards"),
        int("broker", "shard_queue_max", \.broker.shardQueueMax,
            "Requests queued per shard while it has no owner; beyond it the broker answers busy"),
        int("broker", "client_inflight_max", \.broker.clientInflightMax,
            "Requests one client may have in flight; beyond it the broker answers busy"),
        int("broker", "max_frame_bytes", \.broker.maxFrameBytes,
            "Largest request or reply body accepted (bytes)"),
        int("broker", "slot_inflight_max", \.broker.slotInflightMax,
            "Requests dispatched to one worker slot and not yet answered; the rest wait in the broker, served round-robin per client"),
        int("broker", "slot_queue_max", \.broker.slotQueueMax,
            "Requests waiting for room at one worker slot; beyond it the newest of the client holding the most is answered busy"),
        int("broker", "client_reply_bytes_max", \.broker.clientReplyBytesMax,
            "Bytes of replies one client has not read; beyond it its new requests are answered busy"),
        int("broker", "reply_bytes_max", \.broker.replyBytesMax,
            "Bytes of replies all clients have not read; beyond it new requests are answered busy"),

        int("osd", "threads", \.osd.threads, min: 0, "Worker threads per OSD process; 0: one per core"),
        string("osd", "durability", \.osd.durability, choices: ["sync", "none"],
               "Default durability: sync (reply after the commit is synced) or none (not synced)"),
        string("osd", "classes_dir", \.osd.classesDir, "Folder of Lua class files that `call` can run"),
        int("osd", "dedup_max_entries", \.osd.dedupMaxEntries, min: 0,
            "Exactly-once reply records kept per shard (oldest dropped first)"),
        int("osd", "dedup_max_age_s", \.osd.dedupMaxAgeSeconds, min: 0,
            "Seconds after which an exactly-once record may be dropped"),
        int("osd", "group_commit_max", \.osd.groupCommitMax,
            "Most transactions made durable by one sync"),

        int("lua", "instruction_limit", \.lua.instructionLimit, "Lua instructions per request before -ETIMEDOUT"),
        int("lua", "time_limit_ms", \.lua.timeLimitMs, "Wall-clock milliseconds per request before -ETIMEDOUT"),
        int("lua", "memory_limit_bytes", \.lua.memoryLimitBytes, "Lua memory per call before -ENOMEM"),
        int("lua", "output_limit_bytes", \.lua.outputLimitBytes, "Output bytes per exec/call op before -EOVERFLOW"),
        int("lua", "script_cache_entries", \.lua.scriptCacheEntries,
            "Compiled scripts cached per worker thread (LRU, by SHA-256)"),
        int("lua", "max_script_bytes", \.lua.maxScriptBytes, "Largest script source accepted"),
        int("lua", "log_bytes_per_second", \.lua.logBytesPerSecond, min: 0,
            "Script log bytes (cls.log, print) per second a worker process writes to its log; past it lines are dropped; 0: no rate limit"),

        int("imaging", "max_pixels", \.imaging.maxPixels,
            "Largest image (width x height, read from the header) that is decoded"),
        int("imaging", "max_decode_bytes", \.imaging.maxDecodeBytes,
            "Most pixel memory one image decode or resize may take, estimated from the header; Lua calls get at most their remaining memory limit"),
        string("imaging", "policy_dir", \.imaging.policyDir,
               "Folder holding the ImageMagick policy.xml; empty: the shipped config/imagemagick"),

        int("limits", "max_object_bytes", \.limits.maxObjectBytes, "Largest object payload"),
        int("limits", "max_xattr_bytes", \.limits.maxXattrBytes, "Largest xattr value"),
        int("limits", "max_omap_entries_per_request", \.limits.maxOmapEntriesPerRequest,
            "Most omap entries one request may read or write"),
        int("limits", "max_omap_bytes_per_request", \.limits.maxOmapBytesPerRequest,
            "Most omap bytes one request may read or write"),

        string("client", "broker", \.client.broker,
               "Broker endpoint clients connect to; empty: the local cluster's broker.client_endpoint"),
        int("client", "timeout_ms", \.client.timeoutMs, "Milliseconds a client waits for each reply"),
        int("client", "retries", \.client.retries, min: 0, "Resends of a retryable failure, with the same request id"),
        int("client", "window", \.client.window, "Requests bulk commands keep in flight"),

        string("security", "curve_server_public_key", \.security.curveServerPublicKey,
               "Broker's CURVE public key (Z85); empty: no CURVE"),
        string("security", "curve_server_secret_key", \.security.curveServerSecretKey,
               "Broker's CURVE secret key (Z85), on the broker only"),
        Setting("security", "allowed_client_keys", .strings(\.security.allowedClientKeys),
                "Client public keys the broker accepts; empty: any client with the server key"),
        Setting("security", "allowed_worker_keys", .strings(\.security.allowedWorkerKeys),
                "Worker public keys the broker accepts; empty: any worker with the server key"),
        string("security", "client_public_key", \.security.clientPublicKey,
               "This client's CURVE public key (Z85); empty: a fresh key pair per connection"),
        string("security", "client_secret_key", \.security.clientSecretKey,
               "This client's CURVE secret key (Z85)"),
        string("security", "worker_public_key", \.security.workerPublicKey,
               "This worker process's CURVE public key (Z85); empty: a fresh key pair per start"),
        string("security", "worker_secret_key", \.security.workerSecretKey,
               "This worker process's CURVE secret key (Z85)"),
    ]

    /// The sections, in file order.
    public static let sections: [String] = all.reduce(into: []) { names, setting in
        if names.last != setting.section { names.append(setting.section) }
    }

    static func named(_ name: String) -> Setting? { all.first { $0.name == name } }
}
