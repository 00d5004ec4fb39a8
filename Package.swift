// swift-tools-version: 6.0
// Sepia: an object store whose objects get new interfaces at run time, in Lua.
import PackageDescription

/// System libraries from Debian (see README: `make deps`).
func cLibrary(_ name: String, pkgConfig: String? = nil) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig)
}

let package = Package(
    name: "Sepia",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sepia-broker", targets: ["Broker"]),
        .executable(name: "sepia-osd", targets: ["OSDWorker"]),
        .executable(name: "sepia", targets: ["ClientCLI"]),
        .library(name: "SepiaClient", targets: ["Client"]),
        .executable(name: "sepia-storage-tool", targets: ["StorageTool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // C libraries: one module map + shim header each. Only MagickWand needs pkg-config
        // (its headers include each other by paths relative to two include folders).
        cLibrary("CLuaJIT"),
        cLibrary("CLevelDB"),
        cLibrary("CMagickWand", pkgConfig: "MagickWand"),
        cLibrary("CZeroMQ"),
        cLibrary("CMsgpack"),
        // Sepia's own Lua pattern matcher (string.find/match/gmatch/gsub) with a step budget.
        .target(name: "CLuaPattern", dependencies: ["CLuaJIT"]),

        // Wire messages (msgpack). Depends on no other Sepia module.
        .target(name: "Codec", dependencies: ["CMsgpack"]),
        // Child processes that are always reaped and never inherit each other's descriptors.
        .target(name: "CSpawn"),
        .target(name: "Spawn", dependencies: ["CSpawn"]),
        // A small ZeroMQ wrapper: context, sockets, multipart messages, poll, CURVE.
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        // Configuration file + environment + flags.
        .target(name: "Config", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Shards on LevelDB: objects, transactions, group commit, request-id records.
        .target(name: "Storage", dependencies: ["CLevelDB", "Codec"]),
        // Image decoding and thumbnails on MagickWand.
        .target(name: "Imaging", dependencies: ["CMagickWand", "Codec"]),
        // The cls_lua-compatible LuaJIT runtime, native classes and the magick module.
        .target(name: "Scripting", dependencies: [
            "CLuaJIT", "CLuaPattern", "CMsgpack", "Codec", "Storage", "Imaging",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The broker's pure routing state machine (shard map, queues, liveness).
        .target(name: "Routing", dependencies: ["Codec"]),
        // The broker process: sockets around the routing state machine.
        .target(name: "BrokerCore", dependencies: [
            "Routing", "Codec", "ZeroMQ", "Config",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The OSD worker process: worker threads, shards, request execution.
        .target(name: "OSDCore", dependencies: [
            "Codec", "ZeroMQ", "Storage", "Scripting", "Imaging", "Config",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // How a daemon boots and stops (logging, signals, exit-with-parent), for both daemons.
        .target(name: "Daemon", dependencies: [
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The client library that the CLI is built on and apps import.
        .target(name: "Client", dependencies: [
            "Codec", "ZeroMQ", "Config",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        .executableTarget(name: "Broker", dependencies: [
            "BrokerCore", "Daemon", "Routing", "Codec", "Config", "ZeroMQ",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "OSDWorker", dependencies: [
            "OSDCore", "Daemon", "Config",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "ClientCLI", dependencies: [
            "Client", "Codec", "Config", "ZeroMQ", "Imaging", "Spawn",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Storage crash-test writer and commit benchmark (used by StorageTests).
        .executableTarget(name: "StorageTool", dependencies: ["Storage", "Codec"]),

        .testTarget(name: "CodecTests", dependencies: ["Codec"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "Codec", "Spawn"]),
        .testTarget(name: "ScriptingTests", dependencies: [
            "Scripting", "Storage", "Codec", "Imaging", "CLuaJIT", "CLuaPattern",
        ]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Spawn"]),
        .testTarget(name: "RoutingTests", dependencies: [
            "Routing", "Codec", "BrokerCore", "OSDCore", "ZeroMQ", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "BrokerCore", "OSDCore", "Scripting", "Storage"]),
        .testTarget(name: "OSDCoreTests", dependencies: ["OSDCore", "Codec"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Client", "Codec", "ZeroMQ", "Config", "Spawn"]),
    ]
)
