/// UTF-8 validation with repair.
enum UTF8Repair {
    /// Returns the bytes when they are valid UTF-8. Otherwise, when `strict` is
    /// false or the text proves itself UTF-8 (it holds valid multi-byte
    /// sequences), returns it repaired; when strict and no multi-byte sequence
    /// is valid, returns nil: the bytes are in some other encoding.
    ///
    /// Repair: an isolated byte that can never be part of UTF-8 (a continuation
    /// byte without a lead, 0xC0, 0xC1, 0xF5-0xFF, between valid text) is read
    /// as windows-1252, where it most likely came from (`It\x92s` pasted from
    /// Word into a UTF-8 feed). The rest become U+FFFD, one per maximal invalid
    /// subpart as Unicode recommends: the five bytes windows-1252 leaves
    /// undefined, a broken or cut-off multi-byte sequence (UTF-8 truncated
    /// mid-character), and runs of invalid bytes (CESU-8 surrogates, Java's
    /// `C0 80`, binary junk), which are no windows-1252 text.
    ///
    /// Valid sequences of C1 controls (U+0080-U+009F, windows-1252 read as Latin-1 upstream) become
    /// windows-1252's characters too (``Windows1252``); the scan notes them, so text without any
    /// needs no second pass.
    static func repair(_ bytes: [UInt8], strict: Bool) -> (bytes: [UInt8], replaced: Bool)? {
        let (validMultibyte, firstInvalid, hasC1) = scan(bytes)
        guard let firstInvalid else { return (hasC1 ? Windows1252.repairC1(bytes) ?? bytes : bytes, false) }
        if strict && validMultibyte == 0 { return nil }
        let fixed = repaired(bytes, from: firstInvalid)
        return (hasC1 ? Windows1252.repairC1(fixed) ?? fixed : fixed, true)
    }

    /// True when the bytes are valid UTF-8 holding at least one multi-byte sequence:
    /// text that no single-byte encoding would produce by chance.
    static func isMultibyte(_ bytes: [UInt8]) -> Bool {
        let (validMultibyte, firstInvalid, _) = scan(bytes)
        return firstInvalid == nil && validMultibyte > 0
    }

    /// The number of valid multi-byte sequences, the index of the first invalid byte, and whether
    /// a valid sequence encodes a C1 control.
    private static func scan(_ bytes: [UInt8]) -> (validMultibyte: Int, firstInvalid: Int?, hasC1: Bool) {
        var validMultibyte = 0
        var firstInvalid: Int? = nil
        var hasC1 = false
        var i = 0
        let n = bytes.count
        bytes.withUnsafeBufferPointer { b in
            while i < n {
                // ASCII fast path, eight bytes at a time.
                while i + 8 <= n {
                    let word = UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    i += 8
                }
                guard i < n else { break }
                let lead = b[i]
                if lead < 0x80 {
                    i += 1
                    continue
                }
                let length = sequenceLength(b, at: i)
                if length == 0 {
                    if firstInvalid == nil { firstInvalid = i }
                    i += 1
                } else {
                    validMultibyte += 1
                    if lead == 0xC2, b[i + 1] < 0xA0 { hasC1 = true }
                    i += length
                }
            }
        }
        return (validMultibyte, firstInvalid, hasC1)
    }

    /// The bytes with each invalid sequence from `start` on replaced (see `repair`).
    private static func repaired(_ bytes: [UInt8], from start: Int) -> [UInt8] {
        bytes.withUnsafeBufferPointer { b in
            let n = b.count
            var out: [UInt8] = []
            out.reserveCapacity(n + 64)
            out.append(contentsOf: b[..<start])
            var i = start
            var afterInvalid = false
            while i < n {
                let byte = b[i]
                if byte < 0x80 {
                    // A run of ASCII in one copy, eight bytes at a time.
                    var j = i + 1
                    while j + 8 <= n,
                        UnsafeRawPointer(b.baseAddress! + j).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0
                    {
                        j += 8
                    }
                    while j < n, b[j] < 0x80 { j += 1 }
                    out.append(contentsOf: b[i..<j])
                    i = j
                    afterInvalid = false
                    continue
                }
                let length = sequenceLength(b, at: i)
                if length > 0 {
                    out.append(contentsOf: b[i..<i + length])
                    i += length
                    afterInvalid = false
                    continue
                }
                let invalid = invalidLength(b, at: i)
                let isolated =
                    invalid == 1 && !afterInvalid && (i + 1 == n || b[i + 1] < 0x80 || sequenceLength(b, at: i + 1) > 0)
                let character = isolated ? windows1252(byte) : nil
                out.append(contentsOf: (character ?? "\u{FFFD}").utf8)
                i += invalid
                afterInvalid = true
            }
            return out
        }
    }

    /// The length of the valid multi-byte sequence at `i`, 0 when invalid.
    private static func sequenceLength(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let lead = b[i]
        func continuation(_ k: Int) -> Bool { i + k < b.count && b[i + k] & 0xC0 == 0x80 }
        switch lead {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : 0
        case 0xE0...0xEF:
            guard continuation(1), continuation(2) else { return 0 }
            let second = b[i + 1]
            if lead == 0xE0 && second < 0xA0 { return 0 }  // overlong
            if lead == 0xED && second > 0x9F { return 0 }  // surrogate
            return 3
        case 0xF0...0xF4:
            guard continuation(1), continuation(2), continuation(3) else { return 0 }
            let second = b[i + 1]
            if lead == 0xF0 && second < 0x90 { return 0 }
            if lead == 0xF4 && second > 0x8F { return 0 }
            return 4
        default:
            return 0
        }
    }

    /// The length of the maximal invalid subpart at `i` (where `sequenceLength` is 0): the lead
    /// and the continuation bytes that could still have begun a valid sequence, at least 1.
    private static func invalidLength(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let lead = b[i]
        // The lead plus at most all but one of the continuation bytes it asks for.
        let maximum: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xE0: (maximum, second) = (2, 0xA0...0xBF)
        case 0xED: (maximum, second) = (2, 0x80...0x9F)
        case 0xE1...0xEF: maximum = 2
        case 0xF0: (maximum, second) = (3, 0x90...0xBF)
        case 0xF4: (maximum, second) = (3, 0x80...0x8F)
        case 0xF1...0xF3: maximum = 3
        default: return 1
        }
        var length = 1
        while length < maximum, i + length < b.count, (length == 1 ? second : 0x80...0xBF).contains(b[i + length]) {
            length += 1
        }
        return length
    }

    /// The windows-1252 character for a byte that cannot begin UTF-8 (0x80-0xC1, 0xF5-0xFF);
    /// nil for a possible UTF-8 lead and for the five bytes windows-1252 does not define.
    private static func windows1252(_ byte: UInt8) -> String? {
        switch byte {
        case 0x80...0x9F: Windows1252.character(forC1: UInt32(byte)).map { String(UnicodeScalar($0)!) }
        case 0xA0...0xC1, 0xF5...0xFF: String(UnicodeScalar(byte))
        default: nil
        }
    }
}
