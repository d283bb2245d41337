import EstuaryCore

/// A cursor over the UTF-8 bytes of one date string, for `FeedDate`'s grammars.
///
/// Borrows the string's own storage (see `FeedDate.parse(_:)`), so scanning
/// allocates nothing. A copy is a saved position: the grammars try a reading
/// on a copy and keep the original if it fails. A token is a scanner limited
/// to that token's bytes, so token grammars check `atEnd` to demand all of it.
struct DateScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index: Int
    private var end: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        index = 0
        end = bytes.count
    }

    private init(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) {
        self.bytes = bytes
        index = start
        self.end = end
    }

    var atEnd: Bool { index == end }

    /// The byte under the cursor.
    var current: UInt8? { index < end ? bytes[index] : nil }

    /// How many bytes are not yet read.
    var count: Int { end - index }

    /// The bytes not yet read.
    var rest: UnsafeBufferPointer<UInt8>.SubSequence { bytes[index..<end] }

    /// How many digits follow the cursor.
    var digitCount: Int {
        var i = index
        while i < end, Self.isDigit(bytes[i]) { i += 1 }
        return i - index
    }

    /// Whether every unread byte is a letter: ASCII, or any non-ASCII scalar (Greek, accented Latin).
    var isWord: Bool {
        guard !atEnd else { return false }
        return rest.allSatisfy { $0 >= 0x80 || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
    }

    func contains(_ byte: UInt8) -> Bool { rest.contains(byte) }

    mutating func take(_ byte: UInt8) -> Bool {
        guard index < end, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Takes a letter in either ASCII case; `lower` must be lowercase.
    mutating func takeLetter(_ lower: UInt8) -> Bool {
        guard index < end, bytes[index] | 0x20 == lower else { return false }
        index += 1
        return true
    }

    /// Takes a literal byte sequence, such as a Korean marker's UTF-8.
    mutating func take(_ literal: [UInt8]) -> Bool {
        guard end - index >= literal.count, bytes[index..<index + literal.count].elementsEqual(literal) else { return false }
        index += literal.count
        return true
    }

    /// Takes `+` or `-` and returns the sign it stands for.
    mutating func sign() -> Int? {
        if take(UInt8(ascii: "+")) { return 1 }
        if take(UInt8(ascii: "-")) { return -1 }
        return nil
    }

    /// Takes the next `count` digits, or nothing; more may follow, as in basic formats (`031231`, `+0100`).
    mutating func digits(exactly count: Int) -> Int? {
        guard digitCount >= count else { return nil }
        return number(count)
    }

    /// Takes a whole run of digits whose length is in `lengths`, or nothing: a longer run is not split.
    mutating func digits(_ lengths: ClosedRange<Int>) -> Int? {
        let count = digitCount
        guard lengths.contains(count) else { return nil }
        return number(count)
    }

    private mutating func number(_ count: Int) -> Int {
        var value = 0
        for i in index..<index + count { value = value * 10 + Int(bytes[i] - 0x30) }
        index += count
        return value
    }

    /// Takes a run of digits as the fraction after a decimal point; nil when there is none.
    mutating func fraction() -> Double? {
        let count = digitCount
        guard count > 0 else { return nil }
        // Digits past the ninth are below a nanosecond; reading them would only overflow.
        var value = 0
        var scale = 1
        for i in index..<index + min(count, 9) {
            value = value * 10 + Int(bytes[i] - 0x30)
            scale *= 10
        }
        index += count
        return Double(value) / Double(scale)
    }

    /// Skips spaces and tabs; true when there were any.
    @discardableResult
    mutating func skipSpaces() -> Bool {
        let start = index
        while index < end, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        return index > start
    }

    /// The next run of bytes up to a space, tab or comma, with the cursor moved past it.
    ///
    /// Commas separate like spaces because feeds put them anywhere
    /// (`Mon, 13 Feb, 2012`), never inside a field.
    mutating func nextToken() -> DateScanner? {
        while index < end, Self.isSeparator(bytes[index]) { index += 1 }
        guard index < end else { return nil }
        let start = index
        while index < end, !Self.isSeparator(bytes[index]) { index += 1 }
        return DateScanner(bytes, from: start, to: index)
    }

    /// The run of ASCII letters at the cursor, with the cursor moved past it.
    mutating func letters() -> DateScanner {
        let start = index
        while index < end, bytes[index] | 0x20 >= 0x61, bytes[index] | 0x20 <= 0x7A { index += 1 }
        return DateScanner(bytes, from: start, to: index)
    }

    /// The bytes up to (not including) `byte`, with the cursor moved onto it.
    mutating func token(upTo byte: UInt8) -> DateScanner {
        let start = index
        while index < end, bytes[index] != byte { index += 1 }
        return DateScanner(bytes, from: start, to: index)
    }

    /// Drops white space from both ends, Unicode's as well as ASCII's.
    mutating func trimWhitespace() {
        while index < end {
            let width = Self.whitespaceWidth(bytes, at: index, end: end)
            guard width > 0 else { break }
            index += width
        }
        trailing: while index < end {
            // A white space character is at most three bytes; try each width ending at `end`.
            for width in 1...3 where end - width >= index {
                if Self.whitespaceWidth(bytes, at: end - width, end: end) == width {
                    end -= width
                    continue trailing
                }
            }
            break
        }
    }

    /// Whether every unread byte equals `lowercase`'s, ignoring ASCII case.
    func equalsIgnoringCase(_ lowercase: String) -> Bool {
        rest.count == lowercase.utf8.count
            && zip(rest, lowercase.utf8).allSatisfy { $0.asciiLowercased == $1 }
    }

    /// Whether the unread bytes, at least `minimum` of them, begin `lowercase` (ignoring ASCII case).
    func isPrefix(of lowercase: String, minimum: Int) -> Bool {
        rest.count >= minimum && rest.count <= lowercase.utf8.count
            && zip(rest, lowercase.utf8).allSatisfy { $0.asciiLowercased == $1 }
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private static func isSeparator(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x2C || (b >= 0x09 && b <= 0x0D)
    }

    /// The byte length of the Unicode white space character at `i`, or 0.
    private static func whitespaceWidth(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, end: Int) -> Int {
        let b = bytes[i]
        if b == 0x20 || (b >= 0x09 && b <= 0x0D) { return 1 }
        guard b >= 0xC2, i + 1 < end else { return 0 }
        let b1 = bytes[i + 1]
        // U+0085, U+00A0
        if b == 0xC2 { return b1 == 0x85 || b1 == 0xA0 ? 2 : 0 }
        guard i + 2 < end else { return 0 }
        let b2 = bytes[i + 2]
        switch (b, b1) {
        case (0xE1, 0x9A): return b2 == 0x80 ? 3 : 0  // U+1680
        case (0xE2, 0x80): return (0x80...0x8A).contains(b2) || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF ? 3 : 0
        case (0xE2, 0x81): return b2 == 0x9F ? 3 : 0  // U+205F
        case (0xE3, 0x80): return b2 == 0x80 ? 3 : 0  // U+3000
        default: return 0
        }
    }
}
