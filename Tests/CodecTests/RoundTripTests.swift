// Every message kind survives encode -> decode unchanged; the header peeks agree with it.
import Testing
import Codec

@Suite struct RoundTripTests {
    @Test(arguments: Fixtures.requests)
    func requestRoundTrips(_ request: Request) throws {
        #expect(try Request.decode(request.encode()) == request)
    }

    @Test(arguments: Fixtures.replies)
    func replyRoundTrips(_ reply: Reply) throws {
        #expect(try Reply.decode(reply.encode()) == reply)
    }

    @Test(arguments: Fixtures.controls)
    func controlRoundTrips(_ control: Control) throws {
        #expect(try Control.decode(control.encode()) == control)
    }

    @Test func everyOpKindIsCoveredAndNamed() {
        #expect(Set(Fixtures.allOps.map(\.kindName)) == Set(Op.kindNames))
        #expect(Op.kindNames.count == 23)
    }

    @Test func headerPeekAgreesWithFullDecode() throws {
        for request in Fixtures.requests {
            let header = try RequestHeader.peek(request.encode())
            #expect(header == RequestHeader(version: request.version, client: request.client, id: request.id,
                                            oid: request.oid, timeoutMillis: request.timeoutMillis,
                                            flags: request.flags))
        }
        for reply in Fixtures.replies {
            #expect(try ReplyHeader.peek(reply.encode()) == ReplyHeader(id: reply.id, rc: reply.rc))
        }
    }

    @Test func headerPeekFindsFieldsInAnyOrder() throws {
        // Another client may put "ops" first and the header last.
        let bytes = Fixtures.requestMap(Fixtures.minimalRequestFields.reversed())
        let header = try RequestHeader.peek(bytes)
        #expect(header == RequestHeader(client: [1], id: 5, oid: [2], timeoutMillis: 100, flags: .readOnly))
        #expect(try Request.decode(bytes).ops == [.stat])
    }

    @Test func strAndBinAreInterchangeable() throws {
        let bytes = Fixtures.requestMap([
            ("v", .uint(1)), ("c", .string("me")), ("i", .uint(1)), ("o", .string("obj")),
            ("ops", .array([.map([(.binary(Bytes(utf8: "op")), .string("nope")),
                                  (.string("op"), .binary(Bytes(utf8: "write_full"))),
                                  (.string("data"), .string("text"))])])),
        ])
        let request = try Request.decode(bytes)
        #expect(request.client == Bytes(utf8: "me"))
        #expect(request.oid == Bytes(utf8: "obj"))
        #expect(request.ops == [.writeFull(data: Bytes(utf8: "text"))])
        #expect(try RequestHeader.peek(bytes).oid == Bytes(utf8: "obj"))
    }

    @Test func optionalFieldsTakeTheirDefaults() throws {
        let bytes = Fixtures.requestMap([
            ("v", .uint(1)), ("c", .nil), ("i", .uint(1)), ("o", .binary([])), ("t", .nil), ("d", .nil),
            ("f", .nil), ("l", .nil),
            ("ops", .array([
                .map([(.string("op"), .string("read")), (.string("off"), .nil), (.string("len"), .nil)]),
                .map([(.string("op"), .string("create"))]),
                .map([(.string("op"), .string("omap_get_vals"))]),
                .map([(.string("op"), .string("call")), (.string("cls"), .string("c")),
                      (.string("m"), .string("m"))]),
            ])),
        ])
        let request = try Request.decode(bytes)
        #expect(request.client == [] && request.timeoutMillis == nil && request.durability == nil)
        #expect(request.flags == [] && request.limits.isEmpty)
        #expect(request.ops == [.read(offset: 0, length: 0), .create(exclusive: false),
                                .omapGetVals(startAfter: [], prefix: [], max: .max),
                                .call(className: "c", method: "m", input: [])])
    }

    @Test func unknownKeysAreIgnoredEverywhere() throws {
        var fields = Fixtures.minimalRequestFields
        fields.insert(("zz", .array([.map([(.uint(1), .nil)])])), at: 0)
        fields.append(("future", .string("x")))
        fields[fields.firstIndex { $0.0 == "ops" }!].1 = .array([
            .map([(.string("op"), .string("stat")), (.string("extra"), .float(1))]),
        ])
        let bytes = Fixtures.requestMap(fields)
        #expect(try Request.decode(bytes).ops == [.stat])
        #expect(try RequestHeader.peek(bytes).id == 5)

        let reply = MsgPackValue.map([
            (.string("i"), .uint(3)), (.string("rc"), .int(-2)), (.string("new"), .nil),
            (.uint(7), .uint(7)),
            (.string("r"), .array([.map([(.string("k"), .string("data")), (.string("d"), .binary([1])),
                                         (.string("x"), .nil)])])),
            (.string("e"), .map([(.string("k"), .string("op")), (.string("m"), .string("gone")),
                                 (.string("why"), .nil)])),
        ]).encode()
        #expect(try Reply.decode(reply) == Reply(id: 3, rc: -2, results: [.data([1])],
                                                 error: ErrorInfo(kind: .op, message: "gone")))
        #expect(try ReplyHeader.peek(reply) == ReplyHeader(id: 3, rc: -2))

        let control = MsgPackValue.map([
            (.string("v"), .uint(1)), (.string("t"), .string("hb")), (.string("e"), .uint(9)),
            (.string("load"), .float(0.5)),
        ]).encode()
        #expect(try Control.decode(control) == .heartbeat(epoch: 9))
    }
}
