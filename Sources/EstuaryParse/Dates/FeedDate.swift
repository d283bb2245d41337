import EstuaryCore
import Foundation

/// Parses the dates feeds carry: RFC 822 (RSS) and RFC 3339 / W3C-DTF (Atom, Dublin Core).
///
/// Liberal the way real feeds need: day names optional and ignored, two-digit
/// years, missing seconds, named and military zones, a `T` or a space between
/// date and time. Every value is checked; an impossible date is nil, never a guess.
enum FeedDate {
    static func parse(_ text: String) -> Date? {
        let s = text.trimmed
        guard !s.isEmpty else { return nil }
        return w3c(s) ?? rfc822(s)
    }

    // MARK: W3C-DTF / RFC 3339: 2003-12-13T18:30:02.25+01:00, 2003-12-13, 2003-12, 2003

    static func w3c(_ s: String) -> Date? {
        var scanner = ByteScanner(s)
        guard let year = scanner.digits(exactly: 4) else { return nil }
        var month = 1
        var day = 1
        var hour = 0
        var minute = 0
        var second = 0
        var fraction = 0.0
        var offset = 0
        if scanner.take("-") {
            guard let m = scanner.digits(exactly: 2) else { return nil }
            month = m
            if scanner.take("-") {
                guard let d = scanner.digits(exactly: 2) else { return nil }
                day = d
            }
        }
        if scanner.take("T") || scanner.take("t") || scanner.take(" ") {
            guard let h = scanner.digits(exactly: 2), scanner.take(":"), let m = scanner.digits(exactly: 2) else { return nil }
            hour = h
            minute = m
            if scanner.take(":") {
                guard let sec = scanner.digits(exactly: 2) else { return nil }
                second = sec
                if scanner.take(".") || scanner.take(",") {
                    let digits = scanner.digitString()
                    guard !digits.isEmpty else { return nil }
                    fraction = Double("0." + digits) ?? 0
                }
            }
            scanner.skipSpaces()
            if scanner.take("Z") || scanner.take("z") {
                offset = 0
            } else if let sign = scanner.sign() {
                guard let h = scanner.digits(exactly: 2) else { return nil }
                _ = scanner.take(":")
                let m = scanner.digits(exactly: 2) ?? 0
                offset = sign * (h * 3600 + m * 60)
            }
        }
        scanner.skipSpaces()
        guard scanner.atEnd else { return nil }
        return CivilTime.date(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second,
            fraction: fraction, offsetSeconds: offset)
    }

    // MARK: RFC 822 / 2822: Mon, 04 Dec 2017 09:15:22 +0000

    static func rfc822(_ s: String) -> Date? {
        var words = s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
        // A leading day name, with or without its comma.
        if let first = words.first, first.count >= 3, Int(first) == nil, month(first) == nil { words.removeFirst() }
        guard words.count >= 3 else { return nil }
        // "04 Dec 2017" or, as some feeds write, "Dec 04 2017".
        var dayText = words[0]
        var monthText = words[1]
        if month(dayText) != nil { swap(&dayText, &monthText) }
        // "04-Dec-2017"
        if words.count >= 1, dayText.contains("-") {
            let parts = dayText.split(separator: "-").map(String.init)
            guard parts.count == 3 else { return nil }
            words = parts + Array(words.dropFirst())
            dayText = parts[0]
            monthText = parts[1]
        }
        guard let day = Int(dayText), let month = month(monthText), var year = Int(words[2]) else { return nil }
        if words[2].count <= 2 { year += year < 50 ? 2000 : 1900 }
        var hour = 0
        var minute = 0
        var second = 0
        var offset = 0
        if words.count >= 4 {
            let time = words[3].split(separator: ":").map { Int($0) }
            guard (2...3).contains(time.count), time.allSatisfy({ $0 != nil }) else { return nil }
            hour = time[0]!
            minute = time[1]!
            second = time.count == 3 ? time[2]! : 0
            if words.count >= 5 {
                guard let zone = zoneOffset(words[4]) else { return nil }
                offset = zone
            }
        }
        return CivilTime.date(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second, offsetSeconds: offset)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    private static func month(_ text: String) -> Int? {
        guard text.count >= 3 else { return nil }
        let prefix = text.prefix(3).lowercased()
        return months.firstIndex(of: prefix).map { $0 + 1 }
    }

    /// `+0100`, `-05:00`, `GMT`, `EST`, military letters (`Z`).
    private static func zoneOffset(_ zone: String) -> Int? {
        let z = zone.uppercased()
        if let sign = z.first, sign == "+" || sign == "-" {
            let digits = z.dropFirst().filter { $0 != ":" }
            guard digits.count == 4 || digits.count == 2, let value = Int(digits) else { return nil }
            let (h, m) = digits.count == 4 ? (value / 100, value % 100) : (value, 0)
            guard h <= 23, m <= 59 else { return nil }
            return (sign == "-" ? -1 : 1) * (h * 3600 + m * 60)
        }
        let named: [String: Int] = [
            "UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
            "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
        ]
        if let hours = named[z] { return hours * 3600 }
        // RFC 822 military zones are ambiguous in practice (their signs were
        // published backwards); read them as UTC, as most parsers do.
        if z.count == 1, let c = z.first, c.isLetter, c != "J" { return 0 }
        return nil
    }
}

/// A cursor over ASCII bytes for the date grammars.
private struct ByteScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    var atEnd: Bool { index == bytes.count }

    mutating func take(_ c: Character) -> Bool {
        guard index < bytes.count, let ascii = c.asciiValue, bytes[index] == ascii else { return false }
        index += 1
        return true
    }

    mutating func digits(exactly count: Int) -> Int? {
        guard index + count <= bytes.count else { return nil }
        var value = 0
        for i in index..<index + count {
            let b = bytes[i]
            guard b >= 0x30 && b <= 0x39 else { return nil }
            value = value * 10 + Int(b - 0x30)
        }
        index += count
        return value
    }

    mutating func digitString() -> String {
        let start = index
        while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    mutating func sign() -> Int? {
        if take("+") { return 1 }
        if take("-") { return -1 }
        return nil
    }

    mutating func skipSpaces() {
        while index < bytes.count, bytes[index] == 0x20 { index += 1 }
    }
}
