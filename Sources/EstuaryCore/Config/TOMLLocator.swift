/// Finds the line of a table header or key in TOML text.
///
/// TOMLKit reports positions for syntax errors only; validation errors found
/// after parsing (an unknown key, a bad URL) are located with this scan so the
/// message can still name the line. It understands the forms a config file
/// uses (`[table]`, `[[array]]`, `key = ...`), not every corner of TOML; when it
/// cannot find a key it returns nil and the error is printed without a line.
struct TOMLLocator {
    private struct Entry {
        let header: String  // "estuary", "source", "" for the root
        let index: Int  // occurrence of that header, 0-based
        let key: String?  // nil for the header line itself
        let line: Int
    }

    private let entries: [Entry]

    init(text: String) {
        var entries: [Entry] = []
        var header = ""
        var counts: [String: Int] = [:]
        var lineNumber = 0
        var inMultiline: Substring? = nil
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.drop(while: { $0 == " " || $0 == "\t" })
            if let delimiter = inMultiline {
                if line.contains(delimiter) { inMultiline = nil }
                continue
            }
            if line.hasPrefix("[") {
                let isArray = line.hasPrefix("[[")
                let open = isArray ? 2 : 1
                guard let close = line.firstIndex(of: "]") else { continue }
                let name = line[line.index(line.startIndex, offsetBy: open)..<close]
                    .trimmingCharacters(in: " \t\"")
                header = name
                let index = isArray ? counts[name, default: 0] : 0
                counts[name] = index + 1
                entries.append(Entry(header: name, index: index, key: nil, line: lineNumber))
            } else if let eq = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<eq].trimmingCharacters(in: " \t\"'")
                entries.append(Entry(header: header, index: max(0, counts[header, default: 1] - 1), key: key, line: lineNumber))
                let value = line[line.index(after: eq)...].drop(while: { $0 == " " })
                for delimiter in ["\"\"\"", "'''"] where value.hasPrefix(delimiter) {
                    if !value.dropFirst(3).contains(delimiter) { inMultiline = Substring(delimiter) }
                }
            }
        }
        self.entries = entries
    }

    /// The line of `key` in the `index`-th `[header]` / `[[header]]`, or of the header when `key` is nil.
    func line(header: String, index: Int = 0, key: String? = nil) -> Int? {
        entries.first { $0.header == header && $0.index == index && $0.key == key }?.line
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
