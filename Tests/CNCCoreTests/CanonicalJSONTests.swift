import CNCCore
import Testing

@Suite struct CanonicalJSONTests {
    struct Sample: Encodable {
        var zeta = 1
        var alpha = "a\"b\\c\n\u{1}é/"
        var middle: [String: Int] = ["b": 2, "a": 1, "B": 3, "aa": 0]
        var list = [3.5, 1.0, -2.25]
        var flag = true
        var nothing: String? = nil
    }

    @Test func sortsKeysAndEscapesMinimally() throws {
        let text = try CanonicalJSON.string(Sample())
        #expect(text == #"{"alpha":"a\"b\\c\n\u0001é/","flag":true,"list":[3.5,1,-2.25],"middle":{"B":3,"a":1,"aa":0,"b":2},"zeta":1}"#)
    }

    @Test func isStableAcrossRunsAndInsertionOrder() throws {
        var a: [String: JSONValue] = [:]
        var b: [String: JSONValue] = [:]
        let keys = (0..<200).map { "k\($0 * 7919 % 1000)" }
        for k in keys { a[k] = .int(Int64(k.count)) }
        for k in keys.reversed() { b[k] = .int(Int64(k.count)) }
        let first = try CanonicalJSON.encode(JSONValue.object(a))
        for _ in 0..<20 { #expect(try CanonicalJSON.encode(JSONValue.object(a)) == first) }
        #expect(try CanonicalJSON.encode(JSONValue.object(b)) == first)
    }

    @Test func prettyForm() throws {
        let v = JSONValue.object(["b": .array([.int(1), .null]), "a": .object([:])])
        #expect(try CanonicalJSON.string(v, pretty: true) == "{\n  \"a\": {},\n  \"b\": [\n    1,\n    null\n  ]\n}\n")
    }

    @Test func errorsRenderCause() {
        let inner = CNCError(.notFound, "open /x: No such file or directory (ENOENT)", errnoCode: 2)
        let outer = CNCError.failed("read", "config /x", cause: inner, context: ["container": "web"])
        #expect(outer.description == "failed to read config /x: open /x: No such file or directory (ENOENT) (container=web)")
        #expect(outer.code == .notFound)
        #expect(outer.errnoCode == 2)
    }
}
