import CYAML

/// Parses YAML text with the system libyaml's event API into `YAMLNode` trees that keep
/// file:line:col on every node. Anchors/aliases resolve by sharing (copy-on-write), `<<` merge
/// keys apply, and the expanded size is capped so an alias bomb is an error, not an outage.
public enum YAMLParser {
    /// The most nodes a document may expand to through aliases.
    public static let maxExpandedNodes = 1_000_000
    /// The deepest nesting accepted (deeper documents are errors, not stack overflows).
    public static let maxDepth = 200

    /// The first document of `bytes`, or nil for an empty stream; problems go to `diagnostics`.
    public static func parse(_ bytes: [UInt8], file: String, diagnostics: inout [SpecDiagnostic]) -> YAMLNode? {
        var builder = Builder(file: file)
        let ok: Bool = bytes.withUnsafeBufferPointer { buf in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return false }
            defer { yaml_parser_delete(&parser) }
            // libyaml needs a non-null pointer even for empty input.
            let empty: [UInt8] = [0]
            return empty.withUnsafeBufferPointer { emptyBuf in
                let base = buf.count > 0 ? buf.baseAddress : emptyBuf.baseAddress
                guard let base else { return false }
                yaml_parser_set_input_string(&parser, base, buf.count)
                while true {
                    var event = yaml_event_t()
                    guard yaml_parser_parse(&parser, &event) == 1 else {
                        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
                        let context = parser.context.map { String(cString: $0) }
                        let mark = SourceMark(file: file, line: Int(parser.problem_mark.line) + 1,
                                              column: Int(parser.problem_mark.column) + 1)
                        var msg = "invalid YAML: \(problem)"
                        if let context { msg += " (\(context) at line \(parser.context_mark.line + 1))" }
                        builder.fail(mark, msg)
                        return false
                    }
                    defer { yaml_event_delete(&event) }
                    if event.type == YAML_STREAM_END_EVENT { return true }
                    if !builder.handle(&event) { return false }
                }
            }
        }
        diagnostics += builder.diagnostics
        return ok ? builder.root : nil
    }

    private struct Frame {
        var isMapping: Bool
        var mark: SourceMark
        var anchor: String?
        var items: [YAMLNode] = []
        var size = 1
    }

    private struct Builder {
        let file: String
        let fileID: Int32
        var stack: [Frame] = []
        var anchors: [String: YAMLNode] = [:]
        var root: YAMLNode?
        var documents = 0
        var diagnostics: [SpecDiagnostic] = []

        init(file: String) {
            self.file = file
            fileID = FileNames.shared.id(file)
        }

        mutating func fail(_ mark: SourceMark, _ message: String) {
            diagnostics.append(SpecDiagnostic(mark, "", message))
        }

        func mark(_ m: yaml_mark_t) -> SourceMark {
            SourceMark(fileID: fileID, line: Int(m.line) + 1, column: Int(m.column) + 1)
        }

        static func text(_ p: UnsafeMutablePointer<yaml_char_t>?, _ length: Int? = nil) -> String? {
            guard let p else { return nil }
            if let length { return String(decoding: UnsafeBufferPointer(start: p, count: length), as: UTF8.self) }
            return String(cString: p)
        }

        /// Handles one event; false stops the parse (the error is recorded).
        mutating func handle(_ event: inout yaml_event_t) -> Bool {
            let start = mark(event.start_mark)
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    fail(start, "a spec holds one YAML document; found a second one (remove the `---` separator)")
                    return false
                }
                return true
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let value = Self.text(s.value, Int(s.length)) ?? ""
                let tag = Self.text(s.tag)
                let plain = s.style == YAML_PLAIN_SCALAR_STYLE && (tag == nil || tag == "!")
                var node = YAMLNode(.scalar(value), mark: start, isPlain: plain)
                if let tag, tag != "!", !tag.hasPrefix("tag:yaml.org,2002:") {
                    fail(start, "unsupported YAML tag \(tag)")
                }
                if tag == "tag:yaml.org,2002:str" { node.isPlain = false }
                return add(node, anchor: Self.text(s.anchor))
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard stack.count < YAMLParser.maxDepth else {
                    fail(start, "the document nests deeper than \(YAMLParser.maxDepth) levels")
                    return false
                }
                let anchor = event.type == YAML_SEQUENCE_START_EVENT
                    ? Self.text(event.data.sequence_start.anchor) : Self.text(event.data.mapping_start.anchor)
                stack.append(Frame(isMapping: event.type == YAML_MAPPING_START_EVENT, mark: start, anchor: anchor))
                return true
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = stack.popLast() else { return false }
                let node: YAMLNode
                if frame.isMapping {
                    node = finishMapping(frame)
                } else {
                    node = YAMLNode(.sequence(frame.items), mark: frame.mark, expandedSize: frame.size)
                }
                return add(node, anchor: frame.anchor)
            case YAML_ALIAS_EVENT:
                let name = Self.text(event.data.alias.anchor) ?? ""
                guard let node = anchors[name] else {
                    fail(start, "unknown alias *\(name) (no anchor &\(name) before it)")
                    return false
                }
                // The alias reads as the anchored value; errors inside it point at the anchor.
                return add(node, anchor: nil)
            default:
                return true
            }
        }

        mutating func add(_ node: YAMLNode, anchor: String?) -> Bool {
            if node.expandedSize > YAMLParser.maxExpandedNodes {
                fail(node.mark, "the document expands to more than \(YAMLParser.maxExpandedNodes) nodes through aliases (an alias bomb?)")
                return false
            }
            if let anchor { anchors[anchor] = node }
            guard !stack.isEmpty else {
                if root == nil { root = node }
                return true
            }
            stack[stack.count - 1].items.append(node)
            stack[stack.count - 1].size += node.expandedSize
            if stack[stack.count - 1].size > YAMLParser.maxExpandedNodes {
                fail(node.mark, "the document expands to more than \(YAMLParser.maxExpandedNodes) nodes through aliases (an alias bomb?)")
                return false
            }
            return true
        }

        /// Pairs up keys and values, applies `<<` merge keys (explicit keys win, then earlier
        /// merge sources) and reports duplicate keys.
        mutating func finishMapping(_ frame: Frame) -> YAMLNode {
            var explicit: [YAMLPair] = []
            explicit.reserveCapacity(frame.items.count / 2)
            var merged: [YAMLPair] = []
            var seen: [String: SourceMark] = [:]
            var i = 0
            while i + 1 < frame.items.count {
                let key = frame.items[i], value = frame.items[i + 1]
                i += 2
                if key.isPlain, key.scalar == "<<" {
                    switch value.content {
                    case .mapping(let pairs): merged += pairs
                    case .sequence(let items):
                        for item in items {
                            if case .mapping(let pairs) = item.content { merged += pairs } else {
                                fail(item.mark, "a `<<` merge key takes a mapping or a list of mappings, not \(item.kindDescription)")
                            }
                        }
                    default:
                        fail(value.mark, "a `<<` merge key takes a mapping or a list of mappings, not \(value.kindDescription)")
                    }
                    continue
                }
                if let k = key.scalar {
                    // Small mappings (nearly all) scan; large ones (services:) hash.
                    let first = frame.items.count <= 32 ? explicit.first(where: { $0.key.scalar == k })?.key.mark : seen[k]
                    if let first {
                        fail(key.mark, "duplicate key \"\(k)\" (first defined at line \(first.line))")
                        continue
                    }
                    if frame.items.count > 32 { seen[k] = key.mark }
                }
                explicit.append(YAMLPair(key: key, value: value))
            }
            if !merged.isEmpty {
                var present = Set(explicit.compactMap { $0.key.scalar })
                for pair in merged {
                    guard let k = pair.key.scalar, present.insert(k).inserted else { continue }
                    explicit.append(pair)
                }
            }
            return YAMLNode(.mapping(explicit), mark: frame.mark, expandedSize: frame.size)
        }
    }
}
