// One set of defaults: every module's settings type, made with its own defaults, equals what
// the shipped config/sepia.yaml resolves to. A default changed in one place only fails here.
import BrokerCore
import Config
import Foundation
import OSDCore
import Scripting
import Storage
import Testing

@Suite struct ModuleDefaultsTests {
    /// config/sepia.yaml as loaded; a file that does not load fails the test that asks.
    static func shipped() throws -> SepiaConfig {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try SepiaConfig.load(file: root.appendingPathComponent("config/sepia.yaml").path)
    }

    @Test func brokerDefaultsAreTheShippedFile() throws {
        #expect(BrokerSettings() == (try BrokerSettings(config: Self.shipped())))
    }

    @Test func workerDefaultsAreTheShippedFile() throws {
        // No CURVE in the defaults, so no fresh key pair either: equal as they come.
        #expect(OSDSettings() == OSDSettings(config: try Self.shipped()))
    }

    @Test func scriptingDefaultsAreTheShippedFile() throws {
        var fromFile = OSDSettings(config: try Self.shipped()).scripting
        // osd.classes_dir is a deployment path, not a runtime default (a bare runtime has no classes).
        #expect(fromFile.classesDirectory == "./classes")
        fromFile.classesDirectory = nil
        #expect(ScriptingConfig() == fromFile)
    }

    @Test func storageDefaultsAreTheShippedFile() throws {
        #expect(ShardOptions() == OSDSettings(config: try Self.shipped()).shard)
    }
}
