// The `magick` Lua module: MagickWand through the Imaging module, with the names leafo/magick
// users rely on. Failures raise cls errors (rc -EINVAL for a corrupt image or a bad spec,
// -EFBIG over the pixel cap, -ENOMEM over the call's memory, -EPERM for a coder the policy
// forbids), so an uncaught one ends the call with that errno and a caught one gives
// `false, -errno, message` from pcall.
//
// Pixels count against the call's memory limit: a decode (or resize, crop) whose pixel memory,
// estimated from the header, exceeds what the call has left is refused before ImageMagick
// allocates anything, and an image the script holds is charged to the Lua state's memory
// until it is destroyed or collected, so Lua's allocator and collector see it.
import CLuaJIT
import Codec
import Imaging
import Synchronization

/// Process-wide settings of the module (the worker sets them at start).
public enum MagickModule {
    private static let pixelCap = Atomic<Int>(Imaging.defaultMaxPixels)
    private static let decodeCap = Atomic<Int>(Imaging.defaultMaxDecodeBytes)

    /// Most pixel memory one decode, resize or crop may take, whatever the call has left
    /// (`imaging.max_decode_bytes`).
    public static var maxDecodeBytes: Int {
        get { decodeCap.load(ordering: .relaxed) }
        set { decodeCap.store(newValue, ordering: .relaxed) }
    }

    /// Images whose header says more pixels than this are refused before decoding (EFBIG).
    public static var maxPixels: Int {
        get { pixelCap.load(ordering: .relaxed) }
        set { pixelCap.store(newValue, ordering: .relaxed) }
    }

    static let metatableName = "sepia.magick.image"

    static let functions: [(name: String, function: HostFunction)] = [
        ("load_image_from_blob", { MagickFunctions.load($0!) }),
        ("thumb", { MagickFunctions.thumb($0!) }),
        ("ping", { MagickFunctions.ping($0!) }),
    ]

    static let methods: [(name: String, function: HostFunction)] = [
        ("get_width", { MagickFunctions.width($0!) }),
        ("get_height", { MagickFunctions.height($0!) }),
        ("get_format", { MagickFunctions.getFormat($0!) }),
        ("set_format", { MagickFunctions.setFormat($0!) }),
        ("set_quality", { MagickFunctions.setQuality($0!) }),
        ("resize", { MagickFunctions.resize($0!) }),
        ("crop", { MagickFunctions.crop($0!) }),
        ("auto_orient", { MagickFunctions.autoOrient($0!) }),
        ("strip", { MagickFunctions.strip($0!) }),
        ("thumb", { MagickFunctions.thumbInPlace($0!) }),
        ("get_blob", { MagickFunctions.blob($0!) }),
        ("destroy", { MagickFunctions.destroy($0!) }),
    ]
}

extension LuaRuntime {
    /// Adds the `magick` module to every call's environment.
    public func installMagick() {
        registerModule("magick", functions: MagickModule.functions)
    }
}

/// Holds an image for a Lua userdata; `destroy` empties it early, `__gc` releases the box.
/// While it holds one, the image's pixel memory is charged to the Lua state's count.
final class ImageBox {
    /// Boxes holding an image, over all threads. Lua sees only a pointer-sized userdata, not
    /// the hundreds of MB of pixels behind it, so its collector would keep dropped images
    /// for many calls; while any image is alive, each call ends with a full collection.
    static let live = Atomic<Int>(0)

    var image: Image? {
        didSet {
            if oldValue != nil, image == nil { Self.live.subtract(1, ordering: .relaxed) }
            recharge()
        }
    }
    /// The state's bookkeeping, valid while the state lives (boxes die with it at the latest).
    private let ctx: UnsafeMutablePointer<sepia_lua_ctx>
    private var charged = 0

    init(_ image: Image, ctx: UnsafeMutablePointer<sepia_lua_ctx>) {
        self.image = image
        self.ctx = ctx
        Self.live.add(1, ordering: .relaxed)
        recharge()
    }

    /// Charges the image's pixel memory now (after a resize or crop, or none once destroyed).
    func recharge() {
        let now = image?.pixelBytes ?? 0
        ctx.pointee.used = ctx.pointee.used - charged + now
        charged = now
    }

    deinit {
        ctx.pointee.used -= charged
        if image != nil { Self.live.subtract(1, ordering: .relaxed) }
    }
}

enum MagickFunctions {
    // MARK: arguments and errors

    /// A blob argument: a Lua string or a bufferlist.
    private static func blob(_ L: LuaState, _ index: Int32) -> Bytes? {
        if let s = Lua.strictString(L, index) { return s }
        if let bl = Lua.bufferlist(L, index) { return Lua.bytes(of: bl) }
        return nil
    }

    /// Pixel memory the running call may still take: what is left of its memory limit, at
    /// most `maxDecodeBytes`.
    static func allowance(_ L: LuaState) -> Int {
        let c = LuaRuntime.from(L).ctx.pointee
        let left = c.limit == 0 ? Int.max : max(0, c.limit - c.used)
        return min(left, MagickModule.maxDecodeBytes)
    }

    /// What is left of the call's time, for the image's own deadline (a decode is one C call
    /// that Lua's count hook cannot interrupt).
    static func timeLeft(_ L: LuaState) -> Duration? {
        let deadline = LuaRuntime.from(L).ctx.pointee.deadline_ns
        guard deadline != 0 else { return nil }
        let now = sepia_now_ns()
        return .nanoseconds(Int64(clamping: deadline > now ? deadline - now : 0))
    }

    private static func fail(_ L: LuaState, _ function: String, _ error: any Error) -> Int32 {
        let e = (error as? SepiaError) ?? SepiaError(.EIO, .image, "\(error)")
        return Lua.raise(L, SepiaError(rc: e.rc, kind: e.kind, message: "magick.\(function): \(e.message)"))
    }

    // MARK: module functions

    static func load(_ L: LuaState) -> Int32 {
        guard let bytes = blob(L, 1) else {
            return Lua.argError(L, 1, "load_image_from_blob", "string")
        }
        do {
            let image = try Image.load(blob: bytes, maxPixels: MagickModule.maxPixels, maxBytes: allowance(L),
                                       timeLimit: timeLeft(L))
            pushImage(L, image)
            return 1
        } catch {
            return fail(L, "load_image_from_blob", error)
        }
    }

    /// magick.thumb(image_or_blob, spec) → the thumbnail's bytes (a Lua string).
    static func thumb(_ L: LuaState) -> Int32 {
        guard let spec = Lua.strictString(L, 2) else { return Lua.argError(L, 2, "thumb", "string") }
        let specText = String(decoding: spec, as: UTF8.self)
        do {
            if let box = box(L, 1) {
                guard let image = box.image else { return Lua.raise(L, "magick.thumb: the image was destroyed") }
                image.pixelAllowance = allowance(L)
                defer { box.recharge() }
                try image.thumbnail(spec: specText)
                try image.strip()
                Lua.pushBytes(L, try image.blob())
                return 1
            }
            guard let bytes = blob(L, 1) else { return Lua.argError(L, 1, "thumb", "image or string") }
            Lua.pushBytes(L, try Imaging.thumb(blob: bytes, spec: specText, maxPixels: MagickModule.maxPixels,
                                               maxBytes: allowance(L), timeLimit: timeLeft(L)))
            return 1
        } catch {
            return fail(L, "thumb", error)
        }
    }

    /// magick.ping(blob) → width, height, format (EXT: header only, no decoding).
    static func ping(_ L: LuaState) -> Int32 {
        guard let bytes = blob(L, 1) else { return Lua.argError(L, 1, "ping", "string") }
        do {
            let info = try Image.probe(blob: bytes, maxPixels: MagickModule.maxPixels)
            lua_pushnumber(L, Double(info.width))
            lua_pushnumber(L, Double(info.height))
            Lua.pushString(L, info.format.lowercased())
            return 3
        } catch {
            return fail(L, "ping", error)
        }
    }

    // MARK: image userdata

    private static func pushImage(_ L: LuaState, _ image: Image) {
        let slot = lua_newuserdata(L, MemoryLayout<UnsafeMutableRawPointer>.size)!
        let box = ImageBox(image, ctx: LuaRuntime.from(L).ctx)
        slot.storeBytes(of: Unmanaged.passRetained(box).toOpaque(), as: UnsafeMutableRawPointer.self)
        if luaL_newmetatable(L, MagickModule.metatableName) != 0 {
            let runtime = sepia_lua_host_runtime(L)
            lua_createtable(L, 0, Int32(MagickModule.methods.count))
            for (name, function) in MagickModule.methods {
                sepia_lua_push_host(L, function, runtime)
                lua_setfield(L, -2, name)
            }
            lua_setfield(L, -2, "__index")
            sepia_lua_push_host(L, { MagickFunctions.collect($0!) }, runtime)
            lua_setfield(L, -2, "__gc")
            lua_pushboolean(L, 0)
            lua_setfield(L, -2, "__metatable")  // scripts cannot reach or change it
        }
        lua_setmetatable(L, -2)
    }

    /// The box of the image userdata at `index`, or nil for anything else.
    private static func box(_ L: LuaState, _ index: Int32) -> ImageBox? {
        guard lua_type(L, index) == LUA_TUSERDATA, let raw = lua_touserdata(L, index),
              lua_getmetatable(L, index) != 0 else { return nil }
        lua_getfield(L, sepia_lua_registryindex(), MagickModule.metatableName)
        let ours = lua_rawequal(L, -1, -2) != 0
        sepia_lua_pop(L, 2)
        guard ours else { return nil }
        let pointer = raw.load(as: UnsafeMutableRawPointer?.self)
        return pointer.map { Unmanaged<ImageBox>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Runs `body` with the image of a method call (`img:method(...)`).
    private static func method(_ L: LuaState, _ name: String, _ body: (Image) throws -> Int32) -> Int32 {
        guard let box = box(L, 1) else { return Lua.argError(L, 1, name, "image") }
        guard let image = box.image else { return Lua.raise(L, "magick: \(name) on a destroyed image") }
        image.pixelAllowance = allowance(L)
        defer { box.recharge() }
        do { return try body(image) } catch { return fail(L, name, error) }
    }

    private static func int(_ L: LuaState, _ index: Int32, _ name: String) throws -> Int {
        guard let v = Lua.integer(L, index), v >= 0, v <= 1 << 20 else {
            throw SepiaError(.EINVAL, .image, "argument #\(index) to \(name) must be a size between 0 and 1048576")
        }
        return Int(v)
    }

    static func width(_ L: LuaState) -> Int32 { method(L, "get_width") { lua_pushnumber(L, Double($0.width)); return 1 } }
    static func height(_ L: LuaState) -> Int32 { method(L, "get_height") { lua_pushnumber(L, Double($0.height)); return 1 } }
    static func getFormat(_ L: LuaState) -> Int32 { method(L, "get_format") { Lua.pushString(L, $0.format.lowercased()); return 1 } }

    static func setFormat(_ L: LuaState) -> Int32 {
        method(L, "set_format") { image in
            guard let f = Lua.strictString(L, 2) else { throw SepiaError(.EINVAL, .image, "set_format needs a format name") }
            try image.setFormat(String(decoding: f, as: UTF8.self))
            return 0
        }
    }

    static func setQuality(_ L: LuaState) -> Int32 {
        method(L, "set_quality") { image in
            try image.setQuality(try int(L, 2, "set_quality"))
            return 0
        }
    }

    static func resize(_ L: LuaState) -> Int32 {
        method(L, "resize") { image in
            try image.resize(width: try int(L, 2, "resize"), height: try int(L, 3, "resize"))
            return 0
        }
    }

    static func crop(_ L: LuaState) -> Int32 {
        method(L, "crop") { image in
            let x = lua_gettop(L) >= 4 ? try int(L, 4, "crop") : 0
            let y = lua_gettop(L) >= 5 ? try int(L, 5, "crop") : 0
            try image.crop(width: try int(L, 2, "crop"), height: try int(L, 3, "crop"), x: x, y: y)
            return 0
        }
    }

    static func autoOrient(_ L: LuaState) -> Int32 { method(L, "auto_orient") { try $0.autoOrient(); return 0 } }
    static func strip(_ L: LuaState) -> Int32 { method(L, "strip") { try $0.strip(); return 0 } }

    static func thumbInPlace(_ L: LuaState) -> Int32 {
        method(L, "thumb") { image in
            guard let spec = Lua.strictString(L, 2) else { throw SepiaError(.EINVAL, .image, "thumb needs a size spec") }
            try image.thumbnail(spec: String(decoding: spec, as: UTF8.self))
            return 0
        }
    }

    static func blob(_ L: LuaState) -> Int32 { method(L, "get_blob") { Lua.pushBytes(L, try $0.blob()); return 1 } }

    static func destroy(_ L: LuaState) -> Int32 {
        guard let box = box(L, 1) else { return Lua.argError(L, 1, "destroy", "image") }
        box.image = nil
        return 0
    }

    /// __gc: the userdata is collected; release its box.
    static func collect(_ L: LuaState) -> Int32 {
        guard lua_type(L, 1) == LUA_TUSERDATA, let raw = lua_touserdata(L, 1),
              let pointer = raw.load(as: UnsafeMutableRawPointer?.self) else { return 0 }
        raw.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
        Unmanaged<ImageBox>.fromOpaque(pointer).release()
        return 0
    }
}
