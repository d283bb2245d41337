/// UTF-8 validation with repair.
enum UTF8Repair {
    /// Returns the bytes when they are valid UTF-8. Otherwise, when `strict` is
    /// false or the text proves itself UTF-8 (it holds valid multi-byte
    /// sequences), returns it with each invalid sequence replaced by U+FFFD;
    /// when strict and no multi-byte sequence is valid, returns nil: the bytes
    /// are in some other encoding.
    static func repair(_ bytes: [UInt8], strict: Bool) -> (bytes: [UInt8], replaced: Bool)? {
        var validMultibyte = 0
        var firstInvalid: Int? = nil
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
                    i += length
                }
            }
        }
        guard firstInvalid != nil else { return (bytes, false) }
        if strict && validMultibyte == 0 { return nil }
        // Swift's decoder replaces each maximal invalid subpart with U+FFFD.
        return (Array(String(decoding: bytes, as: UTF8.self).utf8), true)
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
}
