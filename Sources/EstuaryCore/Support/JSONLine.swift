/// A minimal JSON writer for hot paths (`estuary parse --jsonl` over large
/// corpora), where Foundation's JSONEncoder and its intermediate tree cost
/// more than the parsing. Writes UTF-8 bytes; the caller orders the keys.
public struct JSONLine {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    /// Hands over what is written so far and starts an empty buffer, keeping the position in the document.
    mutating func takeBytes() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }

    mutating func beginObject() {
        separator()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func beginArray() {
        separator()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A key; the value written next belongs to it.
    mutating func key(_ name: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: "\":".utf8)
        needsComma = false
    }

    mutating func string(_ value: String?) {
        separator()
        guard let value else {
            bytes.append(contentsOf: "null".utf8)
            needsComma = true
            return
        }
        bytes.append(UInt8(ascii: "\""))
        if value.utf8.withContiguousStorageIfAvailable({ escape($0) }) == nil {
            Array(value.utf8).withUnsafeBufferPointer { escape($0) }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func int(_ value: Int?) {
        separator()
        bytes.append(contentsOf: (value.map(String.init) ?? "null").utf8)
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separator()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    /// `strings` as one JSON array, e.g. for SQLite's `json_each` or a JSON text column.
    public static func array(_ strings: some Sequence<String>) -> String {
        var json = JSONLine(capacity: 256)
        json.beginArray()
        for string in strings { json.string(string) }
        json.endArray()
        return String(decoding: json.bytes, as: UTF8.self)
    }

    private mutating func separator() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// Escapes quotes, backslashes and control characters; copies everything else as is.
    private mutating func escape(_ source: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        var i = 0
        while i < source.count {
            // Plain words (no control character, quote or backslash) are skipped eight bytes at a time.
            let next = ByteScan.skipPlain(source, from: i, below: 0x20, or: UInt8(ascii: "\""), UInt8(ascii: "\\"))
            if next > i {
                i = next
                continue
            }
            let byte = source[i]
            i += 1
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            let at = i - 1
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<at]))
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
            case 0x0A: bytes.append(contentsOf: "\\n".utf8)
            case 0x0D: bytes.append(contentsOf: "\\r".utf8)
            case 0x09: bytes.append(contentsOf: "\\t".utf8)
            default:
                let hex = String(byte, radix: 16)
                bytes.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            }
            runStart = at + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<source.count]))
    }
}
