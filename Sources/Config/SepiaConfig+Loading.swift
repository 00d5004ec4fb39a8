// Loading: defaults, then the YAML file, then SEPIA_<SECTION>_<KEY> environment variables,
// then "section.key" overrides from the command line. Unknown keys are errors, so a typo
// cannot silently leave a default in force.
import Foundation
import Yams

extension SepiaConfig {
    /// Names the configuration file when `load` is given none.
    public static let fileEnvironmentVariable = "SEPIA_CONFIG"

    /// Loads the configuration. `file` nil: the file named by SEPIA_CONFIG, if any.
    public static func load(
        file: String? = nil, environment: [String: String] = [:], overrides: [String: String] = [:]
    ) throws(ConfigError) -> SepiaConfig {
        var config = SepiaConfig()
        let path = file ?? environment[fileEnvironmentVariable].flatMap { $0.isEmpty ? nil : $0 }
        if let path {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
            }
            try config.apply(yaml: text, source: path)
        }
        for setting in Setting.all {
            if let text = environment[setting.environmentVariable] {
                try config.apply(text: text, to: setting, source: "environment \(setting.environmentVariable)")
            }
        }
        // Sorted so that, of several bad overrides, the same one is always reported.
        for (name, text) in overrides.sorted(by: { $0.key < $1.key }) {
            guard let setting = Setting.named(name) else { throw .unknownKey(key: name, source: "override") }
            try config.apply(text: text, to: setting, source: "override \(name)")
        }
        return config
    }

    /// Applies a YAML document of sections; `source` names it in errors.
    public mutating func apply(yaml: String, source: String) throws(ConfigError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw .syntax(source: source, message: "not valid YAML: \(error)")
        }
        guard let root, !root.has(.null) else { return }  // an empty file keeps the defaults
        guard let sections = root.mapping else {
            throw .syntax(source: source, message: "expected a map of sections (cluster:, broker:, ...)")
        }
        for (sectionNode, body) in sections {
            let section = sectionNode.string ?? ""
            let at = Self.location(source, sectionNode)
            guard Setting.sections.contains(section) else { throw .unknownKey(key: section, source: at) }
            if body.has(.null) { continue }  // a section with every line commented out
            guard let entries = body.mapping else {
                throw .wrongType(key: section, expected: "a map of settings", source: at)
            }
            for (keyNode, value) in entries {
                let name = "\(section).\(keyNode.string ?? "")"
                let at = Self.location(source, keyNode)
                guard let setting = Setting.named(name) else { throw .unknownKey(key: name, source: at) }
                try apply(node: value, to: setting, source: at)
            }
        }
    }

    private static func location(_ source: String, _ node: Node) -> String {
        node.mark.map { "\(source):\($0.line)" } ?? source
    }

    private mutating func apply(node: Node, to setting: Setting, source: String) throws(ConfigError) {
        let wrong = ConfigError.wrongType(key: setting.name, expected: setting.expected, source: source)
        switch setting.value {
        case .int:
            // Only a YAML integer: "64" in quotes or 6.4 is a mistake worth reporting.
            guard node.has(.int), let scalar = node.scalar?.string else { throw wrong }
            try apply(text: scalar, to: setting, source: source)
        case .string:
            guard node.has(.str), let text = node.string else { throw wrong }
            try apply(text: text, to: setting, source: source)
        case let .strings(path):
            guard let items = node.sequence else { throw wrong }
            var list: [String] = []
            for item in items {
                guard item.has(.str), let text = item.string else { throw wrong }
                list.append(text)
            }
            self[keyPath: path] = list
        }
    }

    /// Applies a setting given as text (environment variables, overrides, YAML scalars).
    /// Lists are comma-separated; an empty text is an empty list.
    mutating func apply(text: String, to setting: Setting, source: String) throws(ConfigError) {
        switch setting.value {
        case let .int(path, minimum):
            let digits = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
            guard let value = Int(digits) else {
                throw .wrongType(key: setting.name, expected: setting.expected, source: source)
            }
            guard value >= minimum else {
                throw .invalidValue(key: setting.name, reason: "must be at least \(minimum), got \(value)", source: source)
            }
            self[keyPath: path] = value
        case let .string(path, choices):
            if let choices, !choices.contains(text) {
                throw .invalidValue(key: setting.name, reason: "must be \(setting.expected), got \"\(text)\"",
                                    source: source)
            }
            self[keyPath: path] = text
        case let .strings(path):
            self[keyPath: path] = text.split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        }
    }
}

extension Node {
    /// Whether the node's resolved YAML tag is `name` (Yams keeps `Tag.name` internal).
    fileprivate func has(_ name: Tag.Name) -> Bool { tag.description == name.rawValue }
}

extension SepiaConfig {
    /// Turns command-line assignments ("lua.time_limit_ms=1000") into `load`'s overrides.
    /// Names are checked by `load`; here only the shape is.
    public static func overrides(from assignments: [String]) throws(ConfigError) -> [String: String] {
        var result: [String: String] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="), assignment[..<equals].contains(".") else {
                throw .syntax(source: "override", message: "expected section.key=value, got '\(assignment)'")
            }
            result[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        return result
    }
}
