import EstuaryCore

/// The repaired copy of a document, written as the repairs are found: the bytes between them
/// are copied in runs, and nothing is copied at all when nothing needs repair. Memory stays
/// proportional to the document, whatever a hostile one holds.
struct RepairOutput {
    private var out: [UInt8] = []
    private var copied = 0  // the source's bytes before this are in `out`
    private var changed = false
    /// Offsets in the output where a `/` goes (before a void element's `>`), found after the
    /// bytes were written: added in one pass at the end.
    private var slashes: [Int] = []

    /// `removing` bytes of `b` at `at` (not yet copied) give way to `inserting`.
    mutating func replace(_ b: UnsafeBufferPointer<UInt8>, at: Int, removing: Int, with inserting: [UInt8]) {
        if !changed {
            out.reserveCapacity(b.count + 64)
            changed = true
        }
        out.append(contentsOf: b[copied..<at])
        out.append(contentsOf: inserting)
        copied = at + removing
    }

    /// Where the source's byte `index` (not yet copied, with no repair before it) lands in the output.
    func offset(of index: Int) -> Int { out.count + (index - copied) }

    /// A `/` goes before the output's byte at `offset` (a void element's `>`).
    mutating func insertSlash(atOffset offset: Int) { slashes.append(offset) }

    /// The repaired document; nil when nothing was repaired.
    mutating func finish(_ b: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard changed || !slashes.isEmpty else { return nil }
        out.append(contentsOf: b[copied...])
        copied = b.count
        guard !slashes.isEmpty else { return out }
        slashes.sort()
        var result: [UInt8] = []
        result.reserveCapacity(out.count + slashes.count)
        var from = 0
        for offset in slashes {
            result.append(contentsOf: out[from..<offset])
            result.append(UInt8(ascii: "/"))
            from = offset
        }
        result.append(contentsOf: out[from...])
        return result
    }
}

/// Keeps a document's elements properly nested, as a browser would read the HTML hand-written
/// feeds leave unescaped in their text; part of ``EntityRepair``'s pass over the bytes.
///
/// It follows the open elements (names as bytes, compared exactly, as XML compares them). At an
/// end tag that closes an element further down, the elements above it were left open: void HTML
/// elements (`br`, `hr`, `img`, `wbr`) are closed in their own tag (`<br/>`), others by an end tag
/// inserted there. An end tag that matches no open element is removed. A `<` that cannot start
/// markup is text (`&lt;`). Comments, CDATA sections, processing instructions and the DOCTYPE
/// are passed over whole. Elements still open at the end are left as they are (a truncated
/// document keeps its complete items). A well-formed document needs none of this and is never
/// changed.
struct TagBalance {
    private struct Open {
        let name: Range<Int>
        /// For a void element: where its start tag's `>` lands in the output.
        let closingOffset: Int
        let isVoid: Bool
    }

    private var open: [Open] = []
    /// Elements opened past ``maxDepth``, not followed: the end tags that come while any are
    /// open are theirs, and are left as they are.
    private var skipped = 0
    /// Void elements followed while open: past ``maxOpenVoids``, the oldest is taken as unclosed
    /// (thousands of `<br>` in one description are not thousands of elements with content).
    private var openVoids = 0
    private static let maxOpenVoids = 64
    /// How far down the open elements an end tag's match is looked for: well-formed markup closes
    /// the innermost one, and hand-written markup a few more; reading the whole list for every
    /// stray end tag below thousands of open elements would take their product.
    /// (Open void elements, at most ``maxOpenVoids``, do not count against it.)
    private static let matchDepth = 64 + maxOpenVoids
    /// Elements nested deeper than this are not followed, so a hostile document cannot grow the
    /// list; their end tags are left as they are.
    private static let maxDepth = 4096

    private static let lessThan = Array("&lt;".utf8)
    private static let commentOpen = Array("<!--".utf8)
    private static let commentClose = Array("-->".utf8)
    private static let cdataOpen = Array("<![CDATA[".utf8)
    private static let cdataClose = Array("]]>".utf8)
    private static let doctypeOpen = Array("<!DOCTYPE".utf8)
    private static let instructionClose = Array("?>".utf8)
    private static let voids = ["br", "hr", "img", "wbr"].map { Array($0.utf8) }

    /// Reads the markup at `i` (which holds `<`), recording any repair in `output`; returns the
    /// index after what it read.
    mutating func markup(_ b: UnsafeBufferPointer<UInt8>, at i: Int, output: inout RepairOutput) -> Int {
        let n = b.count
        guard i + 1 < n else { return n }
        let next = b[i + 1]
        if next == UInt8(ascii: "!") {
            if EntityRepair.matches(b, at: i, Self.commentOpen) {
                return EntityRepair.find(Self.commentClose, in: b, from: i + 4) ?? n
            }
            if EntityRepair.matches(b, at: i, Self.cdataOpen) {
                return EntityRepair.find(Self.cdataClose, in: b, from: i + 9) ?? n
            }
            if EntityRepair.matches(b, at: i, Self.doctypeOpen) { return Self.doctypeEnd(b, from: i + 9) }
            return text(b, at: i, output: &output)
        }
        if next == UInt8(ascii: "?") {
            guard i + 2 < n, Self.startsName(b[i + 2]) else { return text(b, at: i, output: &output) }
            return EntityRepair.find(Self.instructionClose, in: b, from: i + 2) ?? n
        }
        let closing = next == UInt8(ascii: "/")
        let nameStart = closing ? i + 2 : i + 1
        guard nameStart < n, Self.startsName(b[nameStart]) else { return text(b, at: i, output: &output) }
        var j = nameStart
        while j < n, Self.continuesName(b[j]) { j += 1 }
        let name = nameStart..<j
        // The tag's `>`, past quoted attribute values. A quote counts only where a value starts
        // (after `=`): `<i don't know>` in text is no tag with a value running to the next `'`.
        // A `<` first, or one that starts a tag inside a value, means this was no tag.
        var quote: UInt8? = nil
        var afterEquals = false
        var k = j
        while k < n {
            let c = b[k]
            if let q = quote {
                if c == q {
                    quote = nil
                } else if c == UInt8(ascii: "<"), k + 1 < n, Self.startsName(b[k + 1]) || b[k + 1] == UInt8(ascii: "/") {
                    return text(b, at: i, output: &output)
                }
            } else if c == UInt8(ascii: ">") || c == UInt8(ascii: "<") {
                break
            } else if afterEquals, c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                quote = c
                afterEquals = false
            } else if c == UInt8(ascii: "=") {
                afterEquals = true
            } else if !Self.isSpace(c) {
                afterEquals = false
            }
            k += 1
        }
        guard k < n, b[k] == UInt8(ascii: ">") else { return text(b, at: i, output: &output) }
        if closing {
            close(b, name: name, tag: i..<(k + 1), output: &output)
            return k + 1
        }
        var last = k - 1
        while last > j, Self.isSpace(b[last]) { last -= 1 }
        let selfClosed = b[last] == UInt8(ascii: "/")
        attributes(b, in: j..<(selfClosed ? last : k), output: &output)
        if selfClosed {
            // `<br / >`: XML wants the slash against the `>`.
            if last + 1 < k { output.replace(b, at: last + 1, removing: k - last - 1, with: []) }
            return k + 1
        }
        let isVoid = (2...3).contains(name.count) && Self.voids.contains { $0.elementsEqual(b[name]) }
        if isVoid, openVoids >= Self.maxOpenVoids { closeOldestVoid(output: &output) }
        guard open.count < Self.maxDepth, skipped == 0 else {
            skipped += 1
            return k + 1
        }
        open.append(Open(name: name, closingOffset: output.offset(of: k), isVoid: isVoid))
        if isVoid { openVoids += 1 }
        return k + 1
    }

    /// The `<` at `i` is text.
    private func text(_ b: UnsafeBufferPointer<UInt8>, at i: Int, output: inout RepairOutput) -> Int {
        output.replace(b, at: i, removing: 1, with: Self.lessThan)
        return i + 1
    }

    /// The end tag `tag` for `name`: closes the elements above its match, or goes when nothing matches.
    private mutating func close(_ b: UnsafeBufferPointer<UInt8>, name: Range<Int>, tag: Range<Int>, output: inout RepairOutput) {
        if skipped > 0 {
            skipped -= 1
            return
        }
        let index = open[max(0, open.count - Self.matchDepth)...].lastIndex { b[$0.name].elementsEqual(b[name]) }
        if index == nil, let top = open.last, Self.equalIgnoringCase(b[top.name], b[name]) {
            // `<A HREF=…>link</a>`: HTML's names ignore case; the end tag takes the open element's.
            output.replace(
                b, at: tag.lowerBound, removing: tag.count,
                with: [UInt8(ascii: "<"), UInt8(ascii: "/")] + b[top.name] + [UInt8(ascii: ">")])
            pop(from: open.count - 1)
            return
        }
        guard let index else {
            output.replace(b, at: tag.lowerBound, removing: tag.count, with: [])
            return
        }
        var endTags: [UInt8] = []
        for element in open[(index + 1)...].reversed() {
            if element.isVoid {
                output.insertSlash(atOffset: element.closingOffset)
            } else {
                endTags += [UInt8(ascii: "<"), UInt8(ascii: "/")] + b[element.name] + [UInt8(ascii: ">")]
            }
        }
        if !endTags.isEmpty { output.replace(b, at: tag.lowerBound, removing: 0, with: endTags) }
        pop(from: index)
    }

    /// Forgets the open elements from `index` up.
    private mutating func pop(from index: Int) {
        for element in open[index...] where element.isVoid { openVoids -= 1 }
        open.removeSubrange(index...)
    }

    /// Closes the void element opened first of those still open among the innermost elements
    /// (looking no further keeps this bounded however deep the list), in its own tag.
    private mutating func closeOldestVoid(output: inout RepairOutput) {
        guard let index = open[max(0, open.count - Self.matchDepth)...].firstIndex(where: \.isVoid) else { return }
        let element = open.remove(at: index)
        output.insertSlash(atOffset: element.closingOffset)
        openVoids -= 1
    }

    private static func equalIgnoringCase(_ a: Slice<UnsafeBufferPointer<UInt8>>, _ b: Slice<UnsafeBufferPointer<UInt8>>) -> Bool
    {
        a.count == b.count && zip(a, b).allSatisfy { $0.asciiLowercased == $1.asciiLowercased }
    }

    /// Inside a tag: bare `&` and unknown references repaired as in text, and `<` in a quoted
    /// value (which XML forbids there) escaped.
    private func attributes(_ b: UnsafeBufferPointer<UInt8>, in range: Range<Int>, output: inout RepairOutput) {
        var k = range.lowerBound
        while k < range.upperBound {
            switch b[k] {
            case UInt8(ascii: "&"): k += EntityRepair.reference(b, at: k, output: &output)
            case UInt8(ascii: "<"): k = text(b, at: k, output: &output)
            default: k += 1
            }
        }
    }

    /// The index after a DOCTYPE whose name starts at `start`: its internal subset, in brackets,
    /// may hold `>` in declarations, quoted strings and comments.
    private static func doctypeEnd(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var k = start
        var quote: UInt8? = nil
        var inSubset = false
        while k < b.count {
            let c = b[k]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                quote = c
            } else if inSubset, EntityRepair.matches(b, at: k, commentOpen) {
                k = EntityRepair.find(commentClose, in: b, from: k + 4) ?? b.count
                continue
            } else if inSubset, c == UInt8(ascii: "<"), k + 1 < b.count, b[k + 1] == UInt8(ascii: "?") {
                k = EntityRepair.find(instructionClose, in: b, from: k + 2) ?? b.count
                continue
            } else if c == UInt8(ascii: "[") {
                inSubset = true
            } else if c == UInt8(ascii: "]") {
                inSubset = false
            } else if c == UInt8(ascii: ">"), !inSubset {
                return k + 1
            }
            k += 1
        }
        return b.count
    }

    /// XML's NameStartChar, in bytes: a letter, `_`, `:`, or any byte of a non-ASCII character.
    private static func startsName(_ c: UInt8) -> Bool {
        let lower = c | 0x20
        return (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || c == UInt8(ascii: "_") || c == UInt8(ascii: ":")
            || c >= 0x80
    }

    /// XML's NameChar, in bytes.
    private static func continuesName(_ c: UInt8) -> Bool {
        startsName(c) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-")
            || c == UInt8(ascii: ".")
    }

    private static func isSpace(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r")
    }
}
