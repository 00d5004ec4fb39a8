// The size an image's header declares, read by Sepia itself for PNG, GIF and JPEG: when
// ImageMagick refuses the header without saying why (libpng stops at a side above the policy's
// width/height limit and reports nothing), the refusal can still name the size and the cap.
import Codec

enum HeaderSize {
    /// Width and height the header declares, or nil when the format is not one of these or
    /// the header is cut short.
    static func of(_ blob: Bytes) -> (width: Int, height: Int)? {
        if blob.starts(with: [0x89, 0x50, 0x4E, 0x47]), blob.count >= 24 {
            return (bigEndian(blob, 16, 4), bigEndian(blob, 20, 4))
        }
        if blob.starts(with: Array("GIF8".utf8)), blob.count >= 10 {
            return (Int(blob[6]) | Int(blob[7]) << 8, Int(blob[8]) | Int(blob[9]) << 8)
        }
        if blob.starts(with: [0xFF, 0xD8]) { return jpeg(blob) }
        return nil
    }

    /// Walks the JPEG markers to the first start-of-frame (SOF0...SOF15 except DHT, JPG, DAC).
    private static func jpeg(_ blob: Bytes) -> (width: Int, height: Int)? {
        var i = 2
        while i + 9 < blob.count {
            guard blob[i] == 0xFF else { return nil }
            let marker = blob[i + 1]
            if marker == 0xFF { i += 1; continue }
            let length = bigEndian(blob, i + 2, 2)
            if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                return (bigEndian(blob, i + 7, 2), bigEndian(blob, i + 5, 2))
            }
            guard length >= 2 else { return nil }
            i += 2 + length
        }
        return nil
    }

    private static func bigEndian(_ blob: Bytes, _ at: Int, _ count: Int) -> Int {
        blob[at..<(at + count)].reduce(0) { $0 << 8 | Int($1) }
    }
}
