// Configuration: shipped defaults, precedence, and errors that name the setting.
import Testing
import Foundation
@testable import Config

/// The repository root, found from this file's path.
private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private let shippedFile = repositoryRoot.appendingPathComponent("config/sepia.yaml").path

/// A YAML file of its own in a fresh temporary folder.
private func temporaryFile(_ yaml: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sepia-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let file = folder.appendingPathComponent("sepia.yaml")
    try yaml.write(to: file, atomically: true, encoding: .utf8)
    return file.path
}

private func loadError(file: String? = nil, environment: [String: String] = [:],
                       overrides: [String: String] = [:]) -> ConfigError? {
    do {
        _ = try SepiaConfig.load(file: file, environment: environment, overrides: overrides)
        return nil
    } catch {
        return error
    }
}

@Suite struct DefaultsTests {
    @Test func shippedFileIsExactlyTheDefaults() throws {
        #expect(try SepiaConfig.load(file: shippedFile) == SepiaConfig())
    }

    @Test func shippedFileAndDocsMentionEverySetting() throws {
        let yaml = try String(contentsOfFile: shippedFile, encoding: .utf8)
        let docs = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        for setting in Setting.all {
            #expect(yaml.contains("  \(setting.key):"), "\(setting.name) missing from config/sepia.yaml")
            #expect(docs.contains("`\(setting.name)`"), "\(setting.name) missing from docs/configuration.md")
            #expect(docs.contains(setting.environmentVariable), "\(setting.environmentVariable) missing from docs")
            // The setting's table row shows its default as YAML would.
            let row = docs.split(separator: "\n").first { $0.hasPrefix("| `\(setting.name)` |") } ?? ""
            let shown: String = switch setting.value {
            case .int: setting.text(in: SepiaConfig())
            case .string: "\"\(setting.text(in: SepiaConfig()))\""
            case .strings: "[]"
            }
            #expect(row.contains("| `\(shown)` |"), "default of \(setting.name) wrong in docs: \(row)")
        }
    }

    @Test func defaultsInCode() {
        let config = SepiaConfig()
        #expect(config.cluster.shardCount == 64 && config.cluster.dataRoot == "./sepia-data")
        #expect(config.broker.clientEndpoint == "tcp://127.0.0.1:7700")
        #expect(config.broker.workerEndpoint == "tcp://127.0.0.1:7701")
        #expect(config.broker.heartbeatIntervalMs == 500 && config.broker.heartbeatLiveness == 4)
        #expect(config.broker.maxFrameBytes == 64 << 20)
        #expect(config.osd.threads == 0 && config.osd.durability == "sync" && config.osd.groupCommitMax == 128)
        #expect(config.lua.instructionLimit == 100_000_000 && config.lua.maxScriptBytes == 1 << 20)
        #expect(config.imaging.maxPixels == 50_000_000 && config.imaging.policyDir == "")
        #expect(config.limits.maxObjectBytes == 256 << 20)
        #expect(config.client.timeoutMs == 30_000 && config.client.retries == 5 && config.client.window == 64)
        #expect(config.security.allowedClientKeys.isEmpty)
        #expect(Setting.all.count == 45)
        #expect(Setting.sections == ["cluster", "broker", "osd", "lua", "imaging", "limits", "client", "security"])
        #expect(Set(Setting.all.map(\.name)).count == Setting.all.count)
    }

    @Test func noFileMeansDefaults() throws {
        #expect(try SepiaConfig.load(file: nil, environment: [:], overrides: [:]) == SepiaConfig())
        #expect(try SepiaConfig.load(file: try temporaryFile("")) == SepiaConfig())
        #expect(try SepiaConfig.load(file: try temporaryFile("# only comments\nsecurity:\n")) == SepiaConfig())
    }
}

@Suite struct PrecedenceTests {
    let file: String

    init() throws {
        file = try temporaryFile("""
            broker:
              client_endpoint: "tcp://10.0.0.1:7700"
              heartbeat_liveness: 9
            lua:
              time_limit_ms: 100
            security:
              allowed_client_keys: ["a", "b"]
            """)
    }

    @Test func fileOverridesDefaults() throws {
        let config = try SepiaConfig.load(file: file)
        #expect(config.broker.clientEndpoint == "tcp://10.0.0.1:7700")
        #expect(config.broker.heartbeatLiveness == 9)
        #expect(config.lua.timeLimitMs == 100)
        #expect(config.security.allowedClientKeys == ["a", "b"])
        #expect(config.broker.workerEndpoint == "tcp://127.0.0.1:7701")
    }

    @Test func environmentOverridesFile() throws {
        let config = try SepiaConfig.load(file: file, environment: [
            "SEPIA_BROKER_CLIENT_ENDPOINT": "tcp://10.0.0.2:7700",
            "SEPIA_LUA_TIME_LIMIT_MS": "250",
            "SEPIA_SECURITY_ALLOWED_CLIENT_KEYS": "x, y,,z",
            "SEPIA_OSD_DURABILITY": "none",
            "SEPIA_BIN": "/unrelated",  // other SEPIA_ variables are not settings
        ])
        #expect(config.broker.clientEndpoint == "tcp://10.0.0.2:7700")
        #expect(config.lua.timeLimitMs == 250)
        #expect(config.security.allowedClientKeys == ["x", "y", "z"])
        #expect(config.osd.durability == "none")
        #expect(config.broker.heartbeatLiveness == 9)
    }

    @Test func overridesBeatEverything() throws {
        let config = try SepiaConfig.load(
            file: file,
            environment: ["SEPIA_LUA_TIME_LIMIT_MS": "250", "SEPIA_CLIENT_WINDOW": "8"],
            overrides: ["lua.time_limit_ms": "7", "cluster.data_root": "/srv/sepia",
                        "security.allowed_worker_keys": ""])
        #expect(config.lua.timeLimitMs == 7)
        #expect(config.client.window == 8)
        #expect(config.cluster.dataRoot == "/srv/sepia")
        #expect(config.security.allowedWorkerKeys == [])
        #expect(config.broker.heartbeatLiveness == 9)
    }

    @Test func commandLineAssignments() throws {
        let overrides = try SepiaConfig.overrides(from: ["lua.time_limit_ms=9", "client.broker=tcp://h:1?a=b", "cluster.data_root="])
        #expect(overrides == ["lua.time_limit_ms": "9", "client.broker": "tcp://h:1?a=b", "cluster.data_root": ""])
        let config = try SepiaConfig.load(overrides: overrides)
        #expect(config.lua.timeLimitMs == 9 && config.client.broker == "tcp://h:1?a=b" && config.cluster.dataRoot == "")
        #expect(throws: ConfigError.self) { try SepiaConfig.overrides(from: ["threads"]) }
        #expect(throws: ConfigError.self) { try SepiaConfig.overrides(from: ["threads=4"]) }
    }

    @Test func sepiaConfigNamesTheFile() throws {
        let viaEnvironment = try SepiaConfig.load(file: nil, environment: ["SEPIA_CONFIG": file])
        #expect(viaEnvironment.lua.timeLimitMs == 100)
        // An explicit file wins over SEPIA_CONFIG.
        let explicit = try SepiaConfig.load(file: shippedFile, environment: ["SEPIA_CONFIG": file])
        #expect(explicit == SepiaConfig())
        // An empty SEPIA_CONFIG means no file.
        #expect(try SepiaConfig.load(file: nil, environment: ["SEPIA_CONFIG": ""]) == SepiaConfig())
    }

    @Test func environmentNamesFollowTheRule() {
        let names = Setting.all.map(\.environmentVariable)
        #expect(names.contains("SEPIA_BROKER_CLIENT_ENDPOINT"))
        #expect(names.contains("SEPIA_OSD_DEDUP_MAX_AGE_S"))
        #expect(names.contains("SEPIA_SECURITY_CURVE_SERVER_PUBLIC_KEY"))
    }
}

@Suite struct ConfigErrorTests {
    @Test func unknownKeysAreNamed() throws {
        let typo = try temporaryFile("broker:\n  client_endpiont: \"tcp://x:1\"\n")
        guard case let .unknownKey(key, source) = loadError(file: typo) else {
            Issue.record("expected unknownKey")
            return
        }
        #expect(key == "broker.client_endpiont")
        #expect(source.hasSuffix("sepia.yaml:2"))
        #expect(loadError(file: try temporaryFile("brokers:\n  threads: 1\n"))?.description.contains("'brokers'") == true)
        #expect(loadError(overrides: ["lua.time_limit": "5"]) == .unknownKey(key: "lua.time_limit", source: "override"))
    }

    @Test func wrongTypesNameKeyAndExpectedType() throws {
        let cases: [(String, String, String)] = [
            ("cluster:\n  shard_count: \"64\"\n", "cluster.shard_count", "an integer >= 1"),
            ("cluster:\n  shard_count: 6.4\n", "cluster.shard_count", "an integer >= 1"),
            ("cluster:\n  shard_count: [1]\n", "cluster.shard_count", "an integer >= 1"),
            ("cluster:\n  data_root: 5\n", "cluster.data_root", "a string"),
            ("cluster:\n  data_root:\n", "cluster.data_root", "a string"),
            ("broker:\n  client_endpoint: {a: 1}\n", "broker.client_endpoint", "a string"),
            ("security:\n  allowed_client_keys: \"k\"\n", "security.allowed_client_keys", "a list of strings"),
            ("security:\n  allowed_client_keys: [1, 2]\n", "security.allowed_client_keys", "a list of strings"),
            ("osd:\n  durability: 1\n", "osd.durability", "one of \"sync\", \"none\""),
        ]
        for (yaml, key, expected) in cases {
            let error = loadError(file: try temporaryFile(yaml))
            guard case let .wrongType(k, e, _) = error else {
                Issue.record("\(key): expected wrongType, got \(String(describing: error))")
                continue
            }
            #expect(k == key && e == expected)
            #expect(error?.description.contains("'\(key)' must be \(expected)") == true)
        }
        if case .wrongType("broker", "a map of settings", _)? = loadError(file: try temporaryFile("broker: 5\n")) {
        } else {
            Issue.record("a section that is not a map must be a wrongType error")
        }
        #expect(loadError(environment: ["SEPIA_CLIENT_RETRIES": "many"])
                == .wrongType(key: "client.retries", expected: "an integer >= 0",
                              source: "environment SEPIA_CLIENT_RETRIES"))
        #expect(loadError(overrides: ["client.window": "1.5"])
                == .wrongType(key: "client.window", expected: "an integer >= 1", source: "override client.window"))
    }

    @Test func valuesOutOfRange() throws {
        #expect(loadError(overrides: ["cluster.shard_count": "0"])
                == .invalidValue(key: "cluster.shard_count", reason: "must be at least 1, got 0",
                                 source: "override cluster.shard_count"))
        #expect(loadError(environment: ["SEPIA_OSD_THREADS": "-1"])
                == .invalidValue(key: "osd.threads", reason: "must be at least 0, got -1",
                                 source: "environment SEPIA_OSD_THREADS"))
        let error = loadError(file: try temporaryFile("osd:\n  durability: fsync\n"))
        guard case let .invalidValue(key, reason, _) = error else {
            Issue.record("expected invalidValue, got \(String(describing: error))")
            return
        }
        #expect(key == "osd.durability" && reason.contains("\"fsync\""))
        #expect(try SepiaConfig.load(overrides: ["broker.max_frame_bytes": "1_048_576"]).broker.maxFrameBytes == 1 << 20)
        // The flow-control and rate settings added later follow the same rule.
        #expect(loadError(overrides: ["broker.slot_inflight_max": "0"])
                == .invalidValue(key: "broker.slot_inflight_max", reason: "must be at least 1, got 0",
                                 source: "override broker.slot_inflight_max"))
        #expect(loadError(environment: ["SEPIA_LUA_LOG_BYTES_PER_SECOND": "-1"])
                == .invalidValue(key: "lua.log_bytes_per_second", reason: "must be at least 0, got -1",
                                 source: "environment SEPIA_LUA_LOG_BYTES_PER_SECOND"))
    }

    @Test func badFiles() throws {
        let missing = "/nonexistent/sepia.yaml"
        guard case let .unreadable(path, _) = loadError(file: missing) else {
            Issue.record("expected unreadable")
            return
        }
        #expect(path == missing)
        guard case .syntax = loadError(file: try temporaryFile("broker: [unclosed\n")) else {
            Issue.record("expected syntax error")
            return
        }
        guard case .syntax = loadError(file: try temporaryFile("- a\n- b\n")) else {
            Issue.record("expected syntax error for a list at the top")
            return
        }
    }
}
