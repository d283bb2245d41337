import Foundation

/// The characters Windows-1252 puts at bytes 0x80–0x9F, where Unicode has C1 controls.
///
/// Text written in Windows-1252 and labelled Latin-1 (or referenced as `&#146;`, the byte's
/// number) arrives as U+0080–U+009F: controls no real text contains, shown as nothing or as
/// boxes. HTML5 reads such references as the Windows-1252 characters, and so does feedparser.
enum Windows1252 {
    /// The character for C1 control `value` (0x80–0x9F); nil outside that range and for the five
    /// bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).
    static func character(forC1 value: UInt32) -> UInt32? {
        guard value >= 0x80, value <= 0x9F else { return nil }
        let mapped = table[Int(value - 0x80)]
        return mapped == 0 ? nil : UInt32(mapped)
    }

    private static let table: [UInt16] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    /// `text` with every mapped C1 control replaced by its Windows-1252 character.
    static func repairingC1(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in repairC1(UnsafeRawBufferPointer(bytes)) }.map { String(decoding: $0, as: UTF8.self) }
            ?? text
    }

    /// `bytes` (UTF-8) with every mapped C1 control replaced by its Windows-1252 character; nil
    /// when there is none (the usual case, found with one `memchr` for the lead byte 0xC2).
    static func repairC1<C: ContiguousBytes>(_ bytes: C) -> [UInt8]? {
        bytes.withUnsafeBytes { raw -> [UInt8]? in
            let b = raw.bindMemory(to: UInt8.self)
            guard let base = b.baseAddress else { return nil }
            var out: [UInt8]? = nil
            var copied = 0
            var i = 0
            while i + 1 < b.count, let hit = memchr(base + i, 0xC2, b.count - i - 1) {
                i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                let second = b[i + 1]
                if second >= 0x80, second <= 0x9F, let mapped = character(forC1: UInt32(second)) {
                    if out == nil {
                        out = Array()
                        out!.reserveCapacity(b.count + 16)
                    }
                    out!.append(contentsOf: b[copied..<i])
                    out!.append(contentsOf: String(UnicodeScalar(mapped)!).utf8)
                    copied = i + 2
                }
                i += 2
            }
            guard var repaired = out else { return nil }
            repaired.append(contentsOf: b[copied...])
            return repaired
        }
    }
}
