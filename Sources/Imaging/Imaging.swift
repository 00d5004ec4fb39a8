// Imaging: process-wide ImageMagick setup (policy folder, MagickWandGenesis once) and the
// one-call thumbnail entry point that workers and the `magick` Lua module use.
import CMagickWand
import Codec
import Foundation

/// Process-wide ImageMagick state and the thumbnail entry point.
public enum Imaging {
    /// Where `configure(policyDirectory: nil)` looks for the shipped policy, relative to the
    /// executable's folder and its ancestors, then to the working directory and its ancestors.
    public static let policyRelativePath = "config/imagemagick"

    /// The default pixel cap (width x height, all frames) checked from the header.
    public static let defaultMaxPixels = 50_000_000

    /// The default bound on the pixel memory of one decode (with what a thumbnail's resize
    /// adds), estimated from the header: `imaging.max_decode_bytes`.
    public static let defaultMaxDecodeBytes = 256 << 20

    /// Points ImageMagick at Sepia's policy folder and starts MagickWand, once per process.
    ///
    /// ImageMagick reads `policy.xml` only during `MagickWandGenesis`, from the folders in
    /// `MAGICK_CONFIGURE_PATH` (searched before the system's), so the variable must be set
    /// first; that is why this is the only way Sepia starts MagickWand. With `nil`, an
    /// operator-set `MAGICK_CONFIGURE_PATH` holding a policy.xml wins, else
    /// `config/imagemagick` is searched above the executable, then above the working
    /// directory. Without a policy Sepia refuses to start ImageMagick (fail closed): the
    /// system policy alone leaves SVG, MVG and MSL open. Calling again after start is a no-op
    /// when the folder is the same, and EBUSY otherwise.
    /// - Returns: the policy folder in force.
    @discardableResult
    public static func configure(policyDirectory: String? = nil) throws -> String {
        try startup.start(requested: policyDirectory)
    }

    /// The policy folder in force, or nil before start.
    public static var policyDirectory: String? { startup.directory }

    /// Whether the policy lets `coder` (e.g. "JPEG", "SVG") read blobs.
    public static func canRead(coder: String) throws -> Bool {
        try configure()
        return IsRightsAuthorized(CoderPolicyDomain, ReadPolicyRights, coder.uppercased()) == MagickTrue
    }

    /// A resource cap in force (bytes for memory/map/disk, pixels for area/width/height).
    public static func resourceLimit(_ resource: ResourceType) throws -> UInt64 {
        try configure()
        return UInt64(MagickGetResourceLimit(resource))
    }

    /// Makes a thumbnail from an encoded image: ping, pixel check, memory check (decoded pixels
    /// and the resize's, estimated from the header, at most `maxBytes`, else ENOMEM), decode
    /// told the target size, auto-orient, resize/crop per `spec`, strip metadata, encode.
    /// - Parameters:
    ///   - format: output format ("jpg", "png", "webp"...); nil keeps the source's.
    ///   - quality: encoder quality; nil means 85 for JPEG and the coder's default otherwise.
    ///   - filter: the resize filter after the DCT-scaled decode (see docs/imaging.md).
    ///   - timeLimit: decode, resize and encode stop with ETIMEDOUT after this long.
    public static func thumb(
        blob: Bytes, spec: String, maxPixels: Int = defaultMaxPixels, maxBytes: Int = defaultMaxDecodeBytes,
        format: String? = nil, quality: Int? = nil, filter: Image.Filter = .triangle,
        timeLimit: Duration? = nil
    ) throws -> Bytes {
        try thumb(blob: blob, spec: ThumbSpec(spec), maxPixels: maxPixels, maxBytes: maxBytes, format: format,
                  quality: quality, filter: filter, timeLimit: timeLimit)
    }

    /// `thumb` with a parsed spec (parse once, use for many images).
    public static func thumb(
        blob: Bytes, spec: ThumbSpec, maxPixels: Int = defaultMaxPixels, maxBytes: Int = defaultMaxDecodeBytes,
        format: String? = nil, quality: Int? = nil, filter: Image.Filter = .triangle,
        timeLimit: Duration? = nil
    ) throws -> Bytes {
        let image = try Image.load(blob: blob, maxPixels: maxPixels, maxBytes: maxBytes, timeLimit: timeLimit, decodeHint: { ping in
            // The hint is in stored orientation; the spec applies to the upright image.
            let upright = ping.swapsAxes ? (ping.height, ping.width) : (ping.width, ping.height)
            let plan = try spec.plan(width: upright.0, height: upright.1)
            return ping.swapsAxes ? (plan.resizeHeight, plan.resizeWidth) : (plan.resizeWidth, plan.resizeHeight)
        }, extraBytes: { ping in
            // The resize from the full-size source (a DCT-scaled JPEG needs less).
            let plan = try spec.plan(width: ping.width, height: ping.height)
            return Image.resizeBytes(from: (ping.width, ping.height), to: (plan.resizeWidth, plan.resizeHeight))
        })
        try image.thumbnail(spec: spec, filter: filter)
        try image.strip()
        if let format { try image.setFormat(format) }
        try image.prepareForEncoding(quality: quality)
        return try image.blob()
    }
}

/// The once-per-process start. Genesis must not run twice and must see the environment
/// variable set first, so both happen under one lock.
///
/// `@unchecked Sendable`: every stored property is read and written only while `lock` is
/// held, so concurrent callers from worker threads see one consistent state.
private final class Startup: @unchecked Sendable {
    private let lock = NSLock()
    private var started: String?

    var directory: String? { lock.withLock { started } }

    func start(requested: String?) throws -> String {
        try lock.withLock {
            if let started {
                if let requested, URL(fileURLWithPath: requested).standardized.path != started {
                    throw SepiaError(.EBUSY, .image,
                        "ImageMagick already started with policy folder \(started); cannot switch to \(requested)")
                }
                return started
            }
            let folder = try requested.map(Self.validated) ?? Self.locate()
            setenv("MAGICK_CONFIGURE_PATH", folder, 1)
            Self.usePrivateTemporaryFolder()
            MagickWandGenesis()
            started = folder
            return folder
        }
    }

    /// The policy keeps pixel caches in memory (disk 0), but a coder may still want a file:
    /// those go to a folder of this process's own, emptied at start (a process the watchdog
    /// replaced keeps its pid, and with it the folder) and removed at exit, never to a shared
    /// /tmp/magick-*. An operator-set MAGICK_TEMPORARY_PATH wins.
    private static func usePrivateTemporaryFolder() {
        guard ProcessInfo.processInfo.environment["MAGICK_TEMPORARY_PATH"] == nil else { return }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("sepia-magick-\(getpid())").path
        try? FileManager.default.removeItem(atPath: folder)
        guard (try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])) != nil else { return }
        setenv("MAGICK_TEMPORARY_PATH", folder, 1)
        privateTemporaryFolder = folder
        atexit { if let folder = privateTemporaryFolder { try? FileManager.default.removeItem(atPath: folder) } }
    }

    private static func hasPolicy(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: folder + "/policy.xml")
    }

    private static func validated(_ folder: String) throws -> String {
        let path = URL(fileURLWithPath: folder).standardized.path
        guard hasPolicy(path) else {
            throw SepiaError(.ENOENT, .image, "no policy.xml in ImageMagick policy folder \(path)")
        }
        return path
    }

    private static func locate() throws -> String {
        if let env = ProcessInfo.processInfo.environment["MAGICK_CONFIGURE_PATH"],
           let first = env.split(separator: ":").first, hasPolicy(String(first)) {
            return try validated(String(first))
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        let roots = [
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                .map { URL(fileURLWithPath: $0).deletingLastPathComponent() },
            executable.deletingLastPathComponent(),
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        ].compactMap { $0 }
        for root in roots {
            var folder = root.standardized
            // Eight levels cover .build/<triple>/debug/X.xctest/Contents/MacOS and installs.
            for _ in 0..<8 {
                let candidate = folder.appendingPathComponent(Imaging.policyRelativePath).path
                if hasPolicy(candidate) { return candidate }
                if folder.path == "/" { break }
                folder.deleteLastPathComponent()
            }
        }
        throw SepiaError(.ENOENT, .image,
            "ImageMagick policy not found: set MAGICK_CONFIGURE_PATH or run from the Sepia folder (\(Imaging.policyRelativePath)/policy.xml)")
    }
}

private let startup = Startup()
/// Set once, under the startup lock, before any reader (the exit handler).
nonisolated(unsafe) private var privateTemporaryFolder: String?
