// Image: one decoded image owned by one MagickWand, with the operations leafo/magick users
// rely on (the `magick` Lua module wraps these 1:1), and the one function that turns
// MagickWand's exception convention into SepiaError.
import CMagickWand
import Codec

/// A decoded image (first frame only: thumbnails never keep animation).
///
/// Not Sendable: a wand has no locking of its own, and each worker thread makes, uses and
/// drops its images within one request, so none needs to cross threads.
public final class Image {
    let wand: OpaquePointer
    /// Set by `load(timeLimit:)`; the progress monitor compares it on every row.
    private var deadline: ContinuousClock.Instant?
    /// Whether the progress monitor has stopped an operation: the wand may not say so.
    private var timedOut = false
    /// Bytes of pixel memory a resize or crop of this image may allocate for its new pixels
    /// (checked before ImageMagick allocates them); nil: `Imaging.defaultMaxDecodeBytes`. The
    /// `magick` Lua module sets it to the call's remaining memory before every method.
    public var pixelAllowance: Int?

    /// Bytes of pixel cache one pixel takes at this ImageMagick's quantum depth: a PixelPacket
    /// (red, green, blue, opacity) and an IndexPacket (palette and CMYK images), a quantum each.
    public static let bytesPerPixel = 5 * Int(MAGICKCORE_QUANTUM_DEPTH) / 8

    /// Bytes one pixel takes at the peak of a decode: a coder may open the cache without an
    /// index and reopen it with one (PNG does for grayscale and palette images: measured, a
    /// 7000x7000 PNG held 392 MB and 490 MB at once), so both exist for a moment. JPEG decodes
    /// straight into its final cache: `bytesPerPixel`.
    public static let decodeBytesPerPixel = 9 * Int(MAGICKCORE_QUANTUM_DEPTH) / 8

    static func decodeBytesPerPixel(format: String) -> Int {
        ["JPEG", "JPG", "PJPEG"].contains(format) ? bytesPerPixel : decodeBytesPerPixel
    }

    /// Bytes of pixel memory `width` x `height` pixels take (saturating).
    static func pixelBytes(_ width: Int, _ height: Int, frames: Int = 1, perPixel: Int = bytesPerPixel) -> Int {
        let area = width.multipliedReportingOverflow(by: height)
        let all = area.partialValue.multipliedReportingOverflow(by: frames)
        let bytes = all.partialValue.multipliedReportingOverflow(by: perPixel)
        return area.overflow || all.overflow || bytes.overflow ? Int.max : bytes.partialValue
    }

    /// The pixel memory this image holds now (its one frame).
    public var pixelBytes: Int { Self.pixelBytes(width, height) }

    /// What a header read (ping) tells before any pixel is decoded.
    struct Ping {
        var width: Int, height: Int
        /// Width x height summed over frames: what decoding would allocate.
        var pixels: Int
        var frames: Int
        /// EXIF orientations 5...8 turn the image a quarter, so upright sides are swapped.
        var swapsAxes: Bool
        /// The coder, e.g. "JPEG".
        var format = ""

        /// The pixel cap, from the header alone (all frames, saturating): EFBIG above it.
        func refuse(above maxPixels: Int) throws {
            guard pixels <= maxPixels else {
                throw SepiaError(.EFBIG, .limit,
                    "image is \(width)x\(height) (\(frames) frame(s), \(pixels) pixels), over the limit of \(maxPixels) pixels")
            }
        }

        /// The pixels decoding makes, from the header: every frame at full size, except that
        /// a JPEG told a smaller `hint` (stored orientation) decodes DCT-scaled, as libjpeg
        /// does: by M/8 with the smallest M >= 8 / floor(min(width / hintW, height / hintH)).
        func decodedPixels(hint: (Int, Int)?) -> Int {
            guard let (hw, hh) = hint, hw > 0, hh > 0, hw <= width, hh <= height, perPixel == Image.bytesPerPixel else {
                return pixels
            }
            let denominator = max(1, min(width / hw, height / hh))
            let eighths = min(8, max(1, (8 + denominator - 1) / denominator))
            let frame = ((width * eighths + 7) / 8) * ((height * eighths + 7) / 8)
            return frame.multipliedReportingOverflow(by: max(1, frames)).overflow ? Int.max : frame * max(1, frames)
        }

        /// Bytes a pixel takes at the peak of decoding this format.
        var perPixel: Int { Image.decodeBytesPerPixel(format: format) }

        /// The memory bound, from the header alone: ENOMEM when decoding needs more than `maxBytes`.
        func refuse(decodeBytes bytes: Int, above maxBytes: Int) throws {
            guard bytes <= maxBytes else {
                throw Image.overMemory("decoding the \(width)x\(height) image (\(frames) frame(s))", needs: bytes,
                                       allowed: maxBytes, perPixel: perPixel)
            }
        }
    }

    /// The error for pixels that would not fit the caller's memory allowance.
    static func overMemory(_ what: String, needs bytes: Int, allowed: Int, perPixel: Int = bytesPerPixel) -> SepiaError {
        let need = bytes == Int.max ? "more than \(Int.max)" : "about \(bytes)"
        return SepiaError(.ENOMEM, .memory,
            "\(what) needs \(need) bytes of pixel memory (\(perPixel) a pixel), over the \(allowed) bytes allowed")
    }

    /// A resize filter; `triangle` (bilinear) is the thumbnail default, see docs/imaging.md.
    public enum Filter: String, Sendable, CaseIterable {
        case point, box, triangle, catrom, mitchell, lanczos

        var magick: FilterTypes {
            switch self {
            case .point: PointFilter
            case .box: BoxFilter
            case .triangle: TriangleFilter
            case .catrom: CatromFilter
            case .mitchell: MitchellFilter
            case .lanczos: LanczosFilter
            }
        }
    }

    init() throws {
        try Imaging.configure()
        guard let wand = NewMagickWand() else {
            throw SepiaError(.ENOMEM, .memory, "cannot allocate a MagickWand")
        }
        self.wand = wand
    }

    deinit { DestroyMagickWand(wand) }

    // MARK: Loading

    /// Decodes an encoded image (`magick.load_image_from_blob`).
    ///
    /// The header is read first and images over `maxPixels` (all frames) are refused with
    /// EFBIG before any pixel is decoded. `sizeHint` is the smallest size the caller will
    /// resize to: JPEGs then decode DCT-scaled (1/2, 1/4, 1/8) to no less than it, which is
    /// most of a thumbnail's speed. Corrupt or truncated data is EINVAL with MagickWand's
    /// message; a format the policy forbids is EPERM.
    ///
    /// With `timeLimit`, decoding and every later operation on this image stop with
    /// ETIMEDOUT once that much time has passed since the call (checked per row).
    ///
    /// The pixel memory decoding takes is estimated from the header too (see `bytesPerPixel`)
    /// and an image needing more than `maxBytes` is refused with ENOMEM before decoding.
    public static func load(
        blob: Bytes, maxPixels: Int = Imaging.defaultMaxPixels, maxBytes: Int = Imaging.defaultMaxDecodeBytes,
        sizeHint: (width: Int, height: Int)? = nil, timeLimit: Duration? = nil
    ) throws -> Image {
        try load(blob: blob, maxPixels: maxPixels, maxBytes: maxBytes, timeLimit: timeLimit, decodeHint: { _ in sizeHint })
    }

    /// `load` with the hint computed from the header (thumbnails know the target only then).
    /// `extraBytes` is what the caller will need beside the decoded pixels (a resize's), for
    /// the memory check: the whole is refused before any pixel is decoded.
    static func load(
        blob: Bytes, maxPixels: Int, maxBytes: Int, timeLimit: Duration?,
        decodeHint: (Ping) throws -> (Int, Int)?, extraBytes: (Ping) throws -> Int = { _ in 0 }
    ) throws -> Image {
        guard !blob.isEmpty else { throw SepiaError(.EINVAL, .image, "empty image blob") }
        let image = try Image()
        image.deadline = timeLimit.map { ContinuousClock.now + $0 }
        let ping = try image.ping(blob, maxPixels: maxPixels)
        try ping.refuse(above: maxPixels)
        let stored = ping.swapsAxes ? (ping.height, ping.width) : (ping.width, ping.height)
        // Only a shrink: a hint above the source would ask libjpeg for a scale below 1.
        let hint = try decodeHint(ping).flatMap { w, h in w > 0 && h > 0 && w <= stored.0 && h <= stored.1 ? (w, h) : nil }
        let pixels = ping.decodedPixels(hint: hint)
        let decoded = Self.pixelBytes(pixels, 1, perPixel: ping.perPixel)
        let (total, overflow) = decoded.addingReportingOverflow(try extraBytes(ping))
        try ping.refuse(decodeBytes: overflow ? Int.max : total, above: maxBytes)
        try Self.refuseOverProcessCache(bytes: decoded, pixels: pixels, "decoding the \(ping.width)x\(ping.height) image")
        image.pixelAllowance = maxBytes
        // Clearing also drops the ping's options, so the hint is set after it.
        ClearMagickWand(image.wand)
        if image.deadline != nil { image.installDeadlineMonitor() }
        if let (w, h) = hint {
            MagickSetOption(image.wand, "jpeg:size", "\(w)x\(h)")
        }
        try image.check(blob.withUnsafeBytes { MagickReadImageBlob(image.wand, $0.baseAddress, $0.count) },
                        "decode", decoding: true)
        while MagickGetNumberImages(image.wand) > 1 {
            MagickSetLastIterator(image.wand)
            try image.check(MagickRemoveImage(image.wand), "drop frame")
        }
        MagickSetFirstIterator(image.wand)
        return image
    }

    /// The header facts of an encoded image without decoding its pixels: upright width and
    /// height (EXIF rotation applied) and the coder's name. Over `maxPixels` (all frames): EFBIG; not an image:
    /// EINVAL with MagickWand's message.
    public static func probe(blob: Bytes, maxPixels: Int = Imaging.defaultMaxPixels) throws -> (width: Int, height: Int, format: String) {
        guard !blob.isEmpty else { throw SepiaError(.EINVAL, .image, "empty image blob") }
        let image = try Image()
        let ping = try image.ping(blob, maxPixels: maxPixels)
        try ping.refuse(above: maxPixels)
        let (w, h) = ping.swapsAxes ? (ping.height, ping.width) : (ping.width, ping.height)
        return (w, h, image.format)
    }

    private func ping(_ blob: Bytes, maxPixels: Int) throws -> Ping {
        let result = blob.withUnsafeBytes { MagickPingImageBlob(wand, $0.baseAddress, $0.count) }
        do {
            try check(result, "read header", decoding: true)
        } catch {
            // A header over the policy's side limit fails without a message: say what it declares.
            if let (w, h) = HeaderSize.of(blob) {
                let declared = Ping(width: w, height: h, pixels: w.multipliedReportingOverflow(by: h).overflow ? Int.max : w * h,
                                    frames: 1, swapsAxes: false)
                try declared.refuse(above: maxPixels)
                let side = Int(MagickGetResourceLimit(WidthResource))
                if w > side || h > side {
                    throw SepiaError(.EFBIG, .limit, "image is \(w)x\(h), over the limit of \(side) pixels a side")
                }
            }
            throw error
        }
        var pixels = 0
        let frames = MagickGetNumberImages(wand)
        for index in 0..<frames {
            MagickSetIteratorIndex(wand, Int(index))
            // Saturating: a forged header must not wrap around below the cap.
            let frame = Int(MagickGetImageWidth(wand)).multipliedReportingOverflow(by: Int(MagickGetImageHeight(wand)))
            let total = pixels.addingReportingOverflow(frame.partialValue)
            pixels = frame.overflow || total.overflow ? Int.max : total.partialValue
        }
        MagickSetFirstIterator(wand)
        return Ping(width: Int(MagickGetImageWidth(wand)), height: Int(MagickGetImageHeight(wand)),
                    pixels: pixels, frames: Int(frames), swapsAxes: Self.swapsAxes(MagickGetImageOrientation(wand)),
                    format: format)
    }

    /// ImageMagick 6's own time limit is per process and fatal (docs/imaging.md), so a
    /// per-image deadline is a progress monitor: coders and filters report each row and stop
    /// when it returns false. The wand passes its monitor to every image it reads, and
    /// images made by resize/crop inherit it. It runs on the calling thread, because the
    /// policy sets one ImageMagick thread; `self` outlives the wand it is registered on.
    private func installDeadlineMonitor() {
        let monitor: MagickProgressMonitor = { _, _, _, context in
            guard let context else { return MagickTrue }
            let image = Unmanaged<Image>.fromOpaque(context).takeUnretainedValue()
            guard let deadline = image.deadline, ContinuousClock.now >= deadline else { return MagickTrue }
            image.timedOut = true
            return MagickFalse
        }
        MagickSetProgressMonitor(wand, monitor, Unmanaged.passUnretained(self).toOpaque())
    }

    private static func swapsAxes(_ orientation: OrientationType) -> Bool {
        (LeftTopOrientation.rawValue...LeftBottomOrientation.rawValue).contains(orientation.rawValue)
    }

    // MARK: Properties

    public var width: Int { Int(MagickGetImageWidth(wand)) }
    public var height: Int { Int(MagickGetImageHeight(wand)) }

    /// The coder name, e.g. "JPEG", "PNG" (the output format after `setFormat`).
    public var format: String {
        guard let text = MagickGetImageFormat(wand) else { return "" }
        defer { MagickRelinquishMemory(text) }
        return String(cString: text)
    }

    /// EXIF orientation as a number 0...8 (0: undefined, 1: upright).
    public var orientation: Int { Int(MagickGetImageOrientation(wand).rawValue) }

    /// Whether the image has an alpha channel.
    public var hasAlpha: Bool { MagickGetImageAlphaChannel(wand) == MagickTrue }

    /// The names of the metadata profiles (EXIF, ICC, IPTC, XMP) attached.
    public var profileNames: [String] {
        var count = 0
        guard let names = MagickGetImageProfiles(wand, "*", &count) else { return [] }
        defer { MagickRelinquishMemory(names) }
        return (0..<count).compactMap { names[$0].map { String(cString: $0) } }
    }

    /// A pixel's colour as red, green, blue, alpha in 0...1 (`get_pixel`).
    public func pixel(x: Int, y: Int) throws -> (red: Double, green: Double, blue: Double, alpha: Double) {
        let color = NewPixelWand()
        defer { DestroyPixelWand(color) }
        try check(MagickGetImagePixelColor(wand, x, y, color), "get pixel \(x),\(y)")
        return (PixelGetRed(color), PixelGetGreen(color), PixelGetBlue(color), PixelGetAlpha(color))
    }

    // MARK: Operations

    /// Sets the output format: a coder name such as "jpg", "png", "webp", "gif".
    public func setFormat(_ name: String) throws {
        let coder = name.lowercased() == "jpg" ? "JPEG" : name.uppercased()
        guard !coder.isEmpty, coder.utf8.allSatisfy({ $0 < 0x80 && $0 != 0x3A }) else {
            throw SepiaError(.EINVAL, .invalid, "bad image format \"\(name)\"")
        }
        try check(MagickSetImageFormat(wand, coder), "set format \"\(name)\"")
    }

    /// Sets the encoder quality, 1...100 (JPEG/WebP quality; zlib level for PNG).
    public func setQuality(_ quality: Int) throws {
        guard (1...100).contains(quality) else {
            throw SepiaError(.EINVAL, .invalid, "image quality \(quality) is outside 1...100")
        }
        try check(MagickSetImageCompressionQuality(wand, quality), "set quality")
    }

    /// Resizes to exactly `width` x `height` (callers keep the aspect; see ThumbSpec). The new
    /// pixels and the filter's intermediate image must fit `pixelAllowance` (ENOMEM).
    public func resize(width: Int, height: Int, filter: Filter = .triangle) throws {
        try checkSides(width, height, "resize")
        try checkAllowance(Self.resizeBytes(from: (self.width, self.height), to: (width, height)),
                           "resizing \(self.width)x\(self.height) to \(width)x\(height)")
        try check(MagickResizeImage(wand, width, height, filter.magick, 1.0), "resize to \(width)x\(height)")
    }

    /// Keeps the `width` x `height` rectangle at `x`, `y`, clipped to the image.
    public func crop(width: Int, height: Int, x: Int, y: Int) throws {
        try checkSides(width, height, "crop")
        guard x >= 0, y >= 0, x < self.width, y < self.height else {
            throw SepiaError(.EINVAL, .invalid, "crop offset \(x),\(y) is outside the \(self.width)x\(self.height) image")
        }
        try checkAllowance(Self.pixelBytes(min(width, self.width - x), min(height, self.height - y)),
                           "cropping to \(width)x\(height)")
        try check(MagickCropImage(wand, width, height, x, y), "crop")
        // Forget the crop's offset on the old canvas, or GIF/PNG keep a virtual page.
        try check(MagickSetImagePage(wand, 0, 0, 0, 0), "reset page")
    }

    /// Turns the pixels upright per the EXIF orientation and marks them top-left.
    public func autoOrient() throws {
        try check(MagickAutoOrientImage(wand), "auto-orient")
    }

    /// Records an EXIF orientation (1...8) without moving pixels, as a camera would.
    public func setOrientation(_ value: Int) throws {
        guard (1...8).contains(value) else {
            throw SepiaError(.EINVAL, .invalid, "EXIF orientation \(value) is outside 1...8")
        }
        try check(MagickSetImageOrientation(wand, OrientationType(rawValue: UInt32(value))), "set orientation")
        // JPEG writes orientation only inside an EXIF profile, so make a minimal one.
        let exif = Self.exifProfile(orientation: UInt16(value))
        try check(exif.withUnsafeBytes { MagickSetImageProfile(wand, "exif", $0.baseAddress, $0.count) },
                  "set EXIF profile")
    }

    /// "Exif\0\0", a big-endian TIFF header and one IFD holding only tag 0x0112.
    private static func exifProfile(orientation: UInt16) -> Bytes {
        Array("Exif".utf8) + [0, 0, 0x4D, 0x4D, 0, 0x2A, 0, 0, 0, 8,
                              0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
                              UInt8(orientation >> 8), UInt8(orientation & 0xFF), 0, 0,
                              0, 0, 0, 0]
    }

    /// Removes every profile and comment (EXIF with GPS, ICC, XMP): thumbnails are public.
    public func strip() throws {
        try check(MagickStripImage(wand), "strip")
    }

    /// Applies a size spec: auto-orient, then resize and crop as `spec.plan` says.
    public func thumbnail(spec: ThumbSpec, filter: Filter = .triangle) throws {
        try autoOrient()
        let plan = try spec.plan(width: width, height: height)
        if plan.resizeWidth != width || plan.resizeHeight != height {
            try resize(width: plan.resizeWidth, height: plan.resizeHeight, filter: filter)
        }
        if let crop = plan.crop {
            try self.crop(width: crop.width, height: crop.height, x: crop.x, y: crop.y)
        }
    }

    /// `thumbnail(spec:)` from a spec string.
    public func thumbnail(spec: String) throws {
        try thumbnail(spec: ThumbSpec(spec))
    }

    /// Makes what browsers show right: CMYK becomes sRGB, alpha is flattened onto white
    /// when the output (JPEG) cannot carry it, and JPEG gets quality 85 unless told.
    func prepareForEncoding(quality: Int?) throws {
        if MagickGetImageColorspace(wand) == CMYKColorspace {
            try check(MagickTransformImageColorspace(wand, sRGBColorspace), "convert CMYK to sRGB")
        }
        let jpeg = ["JPEG", "JPG", "PJPEG"].contains(format)
        if jpeg, hasAlpha {
            let white = NewPixelWand()
            defer { DestroyPixelWand(white) }
            PixelSetColor(white, "white")
            try check(MagickSetImageBackgroundColor(wand, white), "set background")
            try check(MagickSetImageAlphaChannel(wand, RemoveAlphaChannel), "flatten alpha")
        }
        if let quality {
            try setQuality(quality)
        } else if jpeg {
            try setQuality(85)
        }
    }

    /// Encodes in the current format (`get_blob`).
    public func blob() throws -> Bytes {
        var length = 0
        let data = MagickGetImageBlob(wand, &length)
        try check(data == nil ? MagickFalse : MagickTrue, "encode \(format)")
        defer { MagickRelinquishMemory(data) }
        return Bytes(UnsafeBufferPointer(start: data, count: length))
    }

    // MARK: Memory

    /// What a resize allocates beside the source: the result and the filter's intermediate
    /// image (one pass's output: new width x old height or old width x new height, whichever
    /// ImageMagick picks, so the larger is assumed).
    static func resizeBytes(from source: (Int, Int), to target: (Int, Int)) -> Int {
        let intermediate = max(pixelBytes(target.0, source.1), pixelBytes(source.0, target.1))
        let (sum, overflow) = pixelBytes(target.0, target.1).addingReportingOverflow(intermediate)
        return overflow ? Int.max : sum
    }

    /// The policy's memory and area caps count every live pixel cache of the process, and the
    /// cache never spills to disk, so a decode past what other images leave of them would fail
    /// inside ImageMagick, and without a message (ImageMagick 6 loses the cache's exception):
    /// say so first. Racy across slots, which only means the decode then fails there.
    static func refuseOverProcessCache(bytes: Int, pixels: Int, _ what: @autoclosure () -> String) throws {
        for (resource, need, unit) in [(MemoryResource, bytes, "bytes of pixel memory"), (AreaResource, pixels, "pixels")] {
            let limit = MagickGetResourceLimit(resource), used = MagickGetResource(resource)
            let free = limit > used ? limit - used : 0
            guard UInt64(max(0, need)) <= UInt64(free) else {
                throw SepiaError(.EFBIG, .limit,
                    "\(what()) needs about \(need) \(unit), more than the \(free) ImageMagick's process-wide pixel cache"
                    + " has free (\(used) of \(limit) held by other images); try again later")
            }
        }
    }

    private func checkAllowance(_ bytes: Int, _ what: @autoclosure () -> String) throws {
        let allowed = pixelAllowance ?? Imaging.defaultMaxDecodeBytes
        guard bytes <= allowed else { throw Self.overMemory(what(), needs: bytes, allowed: allowed) }
    }

    // MARK: Errors

    private func checkSides(_ width: Int, _ height: Int, _ what: String) throws {
        guard (1...ThumbSpec.maxEdge).contains(width), (1...ThumbSpec.maxEdge).contains(height) else {
            throw SepiaError(.EINVAL, .invalid, "\(what) size \(width)x\(height) is outside 1...\(ThumbSpec.maxEdge)")
        }
    }

    /// The one place MagickWand's exception convention becomes a SepiaError: a call returns
    /// MagickFalse (or succeeds with a warning), the wand keeps the exception, and the text
    /// from MagickGetException must be freed with MagickRelinquishMemory.
    ///
    /// Warnings pass, except that while decoding, libjpeg's "Premature end" (a truncated
    /// file, which it pads with grey) is an error: a thumbnail of half a photo is wrong.
    /// Policy refusals are EPERM, resource caps EFBIG, anything else EINVAL.
    func check(_ result: MagickBooleanType, _ what: @autoclosure () -> String, decoding: Bool = false) throws {
        var severity = UndefinedException
        let text = MagickGetException(wand, &severity)
        defer { if let text { MagickRelinquishMemory(text) } }
        var message = text.map { String(cString: $0) } ?? ""
        MagickClearException(wand)
        if timedOut {
            throw SepiaError(.ETIMEDOUT, .timeout, "\(what()): image time limit exceeded")
        }
        // ImageMagick 6 leaves a decoder's warnings on the image, not on the wand.
        if decoding, severity.rawValue < WarningException.rawValue, let image = GetImageFromMagickWand(wand),
           let reason = image.pointee.exception.reason {
            severity = image.pointee.exception.severity
            message = String(cString: reason)
        }
        let truncated = decoding && severity.rawValue >= WarningException.rawValue && message.lowercased().contains("premature end")
        guard result == MagickFalse || severity.rawValue >= ErrorException.rawValue || truncated else { return }
        let detail = message.isEmpty ? "\(what()) failed" : "\(what()): \(message)"
        switch severity {
        case PolicyError, PolicyFatalError:
            throw SepiaError(.EPERM, .image, detail)
        case ResourceLimitError, ResourceLimitFatalError:
            throw SepiaError(.EFBIG, .limit, detail)
        default:
            throw SepiaError(.EINVAL, .image, detail)
        }
    }
}
