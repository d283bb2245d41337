extension UInt8 {
    /// The byte with an ASCII capital letter made small; every other byte as it is.
    @inline(__always)
    public var asciiLowercased: UInt8 { self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") ? self | 0x20 : self }
}

/// Scanning bytes eight at a time for the few that matter (SWAR: the tests of "Bit Twiddling
/// Hacks" on a 64-bit word). Text is mostly plain, so most words are skipped whole.
public enum ByteScan {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080

    /// True when some byte of `word` is below `bound` (`bound` at most 128).
    @inlinable @inline(__always)
    public static func hasByte(below bound: UInt8, in word: UInt64) -> Bool {
        (word &- ones &* UInt64(bound)) & ~word & highs != 0
    }

    /// True when some byte of `word` equals `byte`.
    @inlinable @inline(__always)
    public static func hasByte(_ byte: UInt8, in word: UInt64) -> Bool {
        let v = word ^ (ones &* UInt64(byte))
        return (v &- ones) & ~v & highs != 0
    }

    /// The first index from `start` whose 8-byte word may hold a byte below `bound`, or equal to
    /// `a` or `b`: every byte before it is none of those. Check the bytes from there one by one.
    @inline(__always)
    public static func skipPlain(
        _ buffer: UnsafeBufferPointer<UInt8>, from start: Int, below bound: UInt8, or a: UInt8? = nil, _ b: UInt8? = nil
    ) -> Int {
        guard let base = buffer.baseAddress else { return start }
        var i = start
        let end = buffer.count - 8
        while i <= end {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            if hasByte(below: bound, in: word) { return i }
            if let a, hasByte(a, in: word) { return i }
            if let b, hasByte(b, in: word) { return i }
            i += 8
        }
        return i
    }
}
