// Why a configuration could not be loaded; every case names the setting and where it came from.

public enum ConfigError: Error, Equatable, CustomStringConvertible {
    /// The configuration file could not be read.
    case unreadable(path: String, reason: String)
    /// The file is not valid YAML, or not a map of sections.
    case syntax(source: String, message: String)
    /// A section or key that does not exist (a typo, usually).
    case unknownKey(key: String, source: String)
    /// A value of the wrong type.
    case wrongType(key: String, expected: String, source: String)
    /// A value of the right type outside the allowed range or set.
    case invalidValue(key: String, reason: String, source: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read configuration file \(path): \(reason)"
        case let .syntax(source, message): "\(source): \(message)"
        case let .unknownKey(key, source): "\(source): unknown setting '\(key)'"
        case let .wrongType(key, expected, source): "\(source): '\(key)' must be \(expected)"
        case let .invalidValue(key, reason, source): "\(source): '\(key)' \(reason)"
        }
    }
}
