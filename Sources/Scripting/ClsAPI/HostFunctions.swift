// The ONE table of every Swift function Lua can call: the cls/objclass module, bufferlist,
// cmsgpack and print. Each runs through the C trampoline (shim.h), which raises any error
// after the Swift frame has returned.
import CLuaJIT

/// Where a host function is installed.
enum HostModule {
    case cls           // objclass / cls
    case bufferlist    // the bufferlist library
    case bufferlistMethod
    case bufferlistMeta
    case cmsgpack
    case global        // a base-library name
}

struct HostEntry {
    let module: HostModule
    let name: String
    let function: HostFunction
    init(_ module: HostModule, _ name: String, _ function: HostFunction) {
        self.module = module
        self.name = name
        self.function = function
    }
}

extension LuaRuntime {
    static var hostFunctions: [HostEntry] {
        [
            HostEntry(.cls, "register", { ClsFunctions.register($0!) }),
            HostEntry(.cls, "log", { ClsFunctions.log($0!) }),
            HostEntry(.cls, "create", { ClsFunctions.create($0!) }),
            HostEntry(.cls, "remove", { ClsFunctions.remove($0!) }),
            HostEntry(.cls, "stat", { ClsFunctions.stat($0!) }),
            HostEntry(.cls, "read", { ClsFunctions.read($0!) }),
            HostEntry(.cls, "write", { ClsFunctions.write($0!) }),
            HostEntry(.cls, "write_full", { ClsFunctions.writeFull($0!) }),
            HostEntry(.cls, "truncate", { ClsFunctions.truncate($0!) }),
            HostEntry(.cls, "append", { ClsFunctions.append($0!) }),
            HostEntry(.cls, "getxattr", { ClsFunctions.getxattr($0!) }),
            HostEntry(.cls, "getxattrs", { ClsFunctions.getxattrs($0!) }),
            HostEntry(.cls, "setxattr", { ClsFunctions.setxattr($0!) }),
            HostEntry(.cls, "rmxattr", { ClsFunctions.rmxattr($0!) }),
            HostEntry(.cls, "map_get_val", { ClsFunctions.mapGetVal($0!) }),
            HostEntry(.cls, "map_set_val", { ClsFunctions.mapSetVal($0!) }),
            HostEntry(.cls, "map_set_vals", { ClsFunctions.mapSetVals($0!) }),
            HostEntry(.cls, "map_get_keys", { ClsFunctions.mapGetKeys($0!) }),
            HostEntry(.cls, "map_get_vals", { ClsFunctions.mapGetVals($0!) }),
            HostEntry(.cls, "map_get_vals_by_keys", { ClsFunctions.mapGetValsByKeys($0!) }),
            HostEntry(.cls, "map_read_header", { ClsFunctions.mapReadHeader($0!) }),
            HostEntry(.cls, "map_write_header", { ClsFunctions.mapWriteHeader($0!) }),
            HostEntry(.cls, "map_remove_key", { ClsFunctions.mapRemoveKey($0!) }),
            HostEntry(.cls, "map_clear", { ClsFunctions.mapClear($0!) }),
            HostEntry(.cls, "current_version", { ClsFunctions.currentVersion($0!) }),
            HostEntry(.cls, "current_subop_num", { ClsFunctions.currentSubopNum($0!) }),
            HostEntry(.cls, "current_subop_version", { ClsFunctions.currentSubopVersion($0!) }),
            HostEntry(.bufferlist, "new", { BufferlistFunctions.new($0!) }),
            HostEntry(.bufferlistMethod, "append", { BufferlistFunctions.append($0!) }),
            HostEntry(.bufferlistMethod, "str", { BufferlistFunctions.str($0!) }),
            HostEntry(.bufferlistMeta, "__len", { BufferlistFunctions.length($0!) }),
            HostEntry(.bufferlistMeta, "__concat", { BufferlistFunctions.concat($0!) }),
            HostEntry(.bufferlistMeta, "__eq", { BufferlistFunctions.equal($0!) }),
            HostEntry(.bufferlistMeta, "__lt", { BufferlistFunctions.less($0!) }),
            HostEntry(.bufferlistMeta, "__le", { BufferlistFunctions.lessOrEqual($0!) }),
            HostEntry(.cmsgpack, "pack", { LuaMsgpack.pack($0!) }),
            HostEntry(.cmsgpack, "unpack", { LuaMsgpack.unpack($0!) }),
            HostEntry(.global, "print", { ClsFunctions.print($0!) }),
        ]
    }
}
