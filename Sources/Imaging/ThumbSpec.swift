// ThumbSpec: the thumbnail size grammar (a subset of ImageMagick's geometry that leafo/magick
// users write) and the pure arithmetic from source size to resize and crop.
import Codec

/// A parsed size spec such as `256x256`, `256x256^`, `256x256!`, `256x256#`, `50%`, `256x`, `x256`.
public struct ThumbSpec: Sendable, Hashable, CustomStringConvertible {
    /// What the spec asks for.
    public enum Mode: Sendable, Hashable {
        /// `WxH`: fit inside the box, keep aspect.
        case fit(width: Int, height: Int)
        /// `WxH^`: cover the box, keep aspect (one side may exceed it).
        case fill(width: Int, height: Int)
        /// `WxH!`: exactly this size, aspect ignored.
        case exact(width: Int, height: Int)
        /// `WxH#`: cover the box, then crop its centre to exactly WxH.
        case crop(width: Int, height: Int)
        /// `N%`: scale both sides (N may have a fraction, e.g. `12.5%`).
        case scale(percent: Double)
        /// `Wx`: this width, keep aspect.
        case width(Int)
        /// `xH`: this height, keep aspect.
        case height(Int)
    }

    /// The result of applying a spec to a source size: resize to this, then maybe crop.
    public struct Plan: Sendable, Hashable {
        public var resizeWidth: Int
        public var resizeHeight: Int
        /// A crop of the resized image (`WxH#` only), offsets from its top-left corner.
        public var crop: Crop?

        public struct Crop: Sendable, Hashable {
            public var x: Int, y: Int, width: Int, height: Int

            public init(x: Int, y: Int, width: Int, height: Int) {
                (self.x, self.y, self.width, self.height) = (x, y, width, height)
            }
        }

        public init(resizeWidth: Int, resizeHeight: Int, crop: Crop? = nil) {
            (self.resizeWidth, self.resizeHeight, self.crop) = (resizeWidth, resizeHeight, crop)
        }

        /// The size of the final image.
        public var outputWidth: Int { crop?.width ?? resizeWidth }
        public var outputHeight: Int { crop?.height ?? resizeHeight }
    }

    /// The largest edge a spec may name or produce (also the policy's width/height cap).
    public static let maxEdge = 16384
    /// The largest scale, so `N%` cannot ask for a huge intermediate.
    public static let maxPercent = 1000.0

    public let mode: Mode
    /// The text it was parsed from, used in messages and as the omap key of a thumbnail.
    public let text: String

    public var description: String { text }

    /// Parses a spec; anything else is EINVAL with the spec quoted.
    public init(_ text: String) throws {
        self.text = text
        guard let mode = Self.parse(Array(text.utf8)) else {
            throw SepiaError(.EINVAL, .invalid,
                "bad thumbnail size spec \"\(text)\": expected WxH, WxH^, WxH!, WxH#, N%, Wx or xH with sides 1...\(Self.maxEdge)")
        }
        self.mode = mode
    }

    private static func parse(_ s: [UInt8]) -> Mode? {
        guard !s.isEmpty, s.count <= 32 else { return nil }
        if s.last == UInt8(ascii: "%") {
            let body = s.dropLast()
            guard !body.isEmpty, body.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ".") }),
                  body.filter({ $0 == UInt8(ascii: ".") }).count <= 1,
                  let percent = Double(String(decoding: body, as: UTF8.self)),
                  percent > 0, percent <= maxPercent else { return nil }
            return .scale(percent: percent)
        }
        var body = s[...]
        var suffix: UInt8?
        if let last = body.last, [UInt8(ascii: "^"), UInt8(ascii: "!"), UInt8(ascii: "#")].contains(last) {
            suffix = last
            body = body.dropLast()
        }
        guard let x = body.firstIndex(of: UInt8(ascii: "x")) else { return nil }
        let width = edge(body[..<x])
        let height = edge(body[body.index(after: x)...])
        switch (width, height, suffix) {
        case (.some(let w?), .some(let h?), nil): return .fit(width: w, height: h)
        case (.some(let w?), .some(let h?), UInt8(ascii: "^")?): return .fill(width: w, height: h)
        case (.some(let w?), .some(let h?), UInt8(ascii: "!")?): return .exact(width: w, height: h)
        case (.some(let w?), .some(let h?), UInt8(ascii: "#")?): return .crop(width: w, height: h)
        case (.some(let w?), .some(nil), nil): return .width(w)
        case (.some(nil), .some(let h?), nil): return .height(h)
        default: return nil
        }
    }

    /// `.some(nil)` for an empty side, `.some(n)` for a valid one, nil for garbage.
    private static func edge(_ digits: ArraySlice<UInt8>) -> Int?? {
        if digits.isEmpty { return .some(nil) }
        // Five digits reach 16384; more can only be out of range (and would overflow Int).
        guard digits.count <= 5, digits.allSatisfy(isDigit) else { return nil }
        let n = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard n >= 1, n <= maxEdge else { return nil }
        return .some(n)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// The resize (and crop) that turns an upright `width` x `height` image into this spec's
    /// output. Sides round to nearest and are at least 1; EINVAL when the output would exceed
    /// `maxEdge` (e.g. `1000%` of a large image, or `16384x` of a very tall one).
    public func plan(width: Int, height: Int) throws -> Plan {
        guard width > 0, height > 0 else {
            throw SepiaError(.EINVAL, .image, "image has no pixels (\(width)x\(height))")
        }
        let plan: Plan
        switch mode {
        case .fit(let bw, let bh):
            // Width-limited when bw/width <= bh/height, compared in integers.
            plan = bw * height <= bh * width
                ? Plan(resizeWidth: bw, resizeHeight: Self.scaled(height, bw, width))
                : Plan(resizeWidth: Self.scaled(width, bh, height), resizeHeight: bh)
        case .fill(let bw, let bh), .crop(let bw, let bh):
            let cover = bw * height >= bh * width
                ? Plan(resizeWidth: bw, resizeHeight: Self.scaled(height, bw, width))
                : Plan(resizeWidth: Self.scaled(width, bh, height), resizeHeight: bh)
            if case .crop = mode {
                let crop = Plan.Crop(x: (cover.resizeWidth - bw) / 2, y: (cover.resizeHeight - bh) / 2,
                                     width: bw, height: bh)
                plan = Plan(resizeWidth: cover.resizeWidth, resizeHeight: cover.resizeHeight, crop: crop)
            } else {
                plan = cover
            }
        case .exact(let w, let h):
            plan = Plan(resizeWidth: w, resizeHeight: h)
        case .scale(let percent):
            plan = Plan(resizeWidth: max(1, Int((Double(width) * percent / 100).rounded())),
                        resizeHeight: max(1, Int((Double(height) * percent / 100).rounded())))
        case .width(let w):
            plan = Plan(resizeWidth: w, resizeHeight: Self.scaled(height, w, width))
        case .height(let h):
            plan = Plan(resizeWidth: Self.scaled(width, h, height), resizeHeight: h)
        }
        guard plan.resizeWidth <= Self.maxEdge, plan.resizeHeight <= Self.maxEdge else {
            throw SepiaError(.EINVAL, .invalid,
                "thumbnail size spec \"\(text)\" on a \(width)x\(height) image gives \(plan.resizeWidth)x\(plan.resizeHeight), over \(Self.maxEdge)")
        }
        return plan
    }

    /// `value * num / den` rounded to nearest, at least 1 (a 1-pixel-high panorama stays visible).
    private static func scaled(_ value: Int, _ num: Int, _ den: Int) -> Int {
        max(1, (2 * value * num + den) / (2 * den))
    }
}
