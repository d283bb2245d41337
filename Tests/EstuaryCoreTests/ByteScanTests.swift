import EstuaryCore
import Testing

/// The word-at-a-time scan never skips a byte that matters, wherever it sits.
@Suite struct ByteScanTests {
    @Test func neverSkipsASpecialByte() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0...40, using: &generator)
            let bytes = (0..<length).map { _ in
                // Mostly plain text, with a few of the bytes looked for and some above 0x7F.
                [UInt8(ascii: "a"), 0x7A, 0xC3, 0xFF, 0x20, 0x21, 0x09, 0x00, 0x1F, 0x22, 0x5C].randomElement(using: &generator)!
            }
            bytes.withUnsafeBufferPointer { buffer in
                for start in 0...length {
                    let skipped = ByteScan.skipPlain(buffer, from: start, below: 0x20, or: 0x22, 0x5C)
                    #expect(skipped >= start && skipped <= length)
                    let special = buffer[start..<skipped].first { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
                    #expect(special == nil, "\(bytes) from \(start) skipped to \(skipped)")
                    let controls = ByteScan.skipPlain(buffer, from: start, below: 0x20)
                    #expect(buffer[start..<controls].allSatisfy { $0 >= 0x20 })
                }
            }
        }
    }
}
