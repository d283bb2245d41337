import EstuaryCore
import Foundation

/// Parses the dates feeds carry: RFC 822 (RSS), RFC 3339 / W3C-DTF (Atom, Dublin Core) and their kin.
///
/// Liberal the way real feeds need, in the families feedparser's date table
/// covers: RFC 822 with day names optional and ignored, two-digit years,
/// missing seconds, named and military zones, long month names, asctime and
/// Perforce layouts (`FeedDate+RFC822.swift`); W3C-DTF with a `T` or a space
/// and the older ISO 8601 spellings (`FeedDate+W3C.swift`); Greek, Hungarian
/// and Korean dates (`FeedDate+Regional.swift`). Every value is checked; an
/// impossible date is nil, never a guess. The one default: a zone name not in
/// the table, after a valid date and time, is read as UTC (as feedparser does).
///
/// Scans UTF-8 bytes in place: no formatter, no regular expression, no calendar.
enum FeedDate {
    static func parse(_ text: String) -> Date? {
        // Native strings are contiguous, so the copy below is only for bridged ones.
        if let date = text.utf8.withContiguousStorageIfAvailable({ parse(utf8: $0) }) { return date }
        return Array(text.utf8).withUnsafeBufferPointer { parse(utf8: $0) }
    }

    private static func parse(utf8: UnsafeBufferPointer<UInt8>) -> Date? {
        var scanner = DateScanner(utf8)
        scanner.trimWhitespace()
        guard !scanner.atEnd else { return nil }
        // Each grammar rejects a foreign layout within its first few bytes.
        return w3c(scanner) ?? korean(scanner) ?? hungarian(scanner) ?? rfc822(scanner)
    }

    /// Calendar and clock fields as written, checked only when they become a `Date`.
    struct Fields {
        var year = 0
        var month = 1
        var day = 1
        var hour = 0
        var minute = 0
        var second = 0
        var fraction = 0.0
        /// Seconds east of UTC.
        var offset = 0

        var date: Date? {
            CivilTime.date(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                fraction: fraction, offsetSeconds: offset)
        }

        /// Sets month and day from a day of the year; false when the year has no such day.
        mutating func setOrdinal(_ ordinal: Int) -> Bool {
            guard ordinal >= 1, ordinal <= (CivilTime.isLeap(year) ? 366 : 365) else { return false }
            var remaining = ordinal
            month = 1
            while remaining > CivilTime.daysIn(month: month, year: year) {
                remaining -= CivilTime.daysIn(month: month, year: year)
                month += 1
            }
            day = remaining
            return true
        }
    }

    /// A two-digit year, read in the 1950–2049 window RSS 0.9x-era feeds need.
    static func fullYear(twoDigit year: Int) -> Int {
        year < 50 ? 2000 + year : 1900 + year
    }

    /// `+hh:mm`, `+hhmm` or `+hh` as seconds east of UTC; the cursor must be on the sign.
    static func numericOffset(_ s: inout DateScanner) -> Int? {
        guard let sign = s.sign(), let hours = s.digits(exactly: 2) else { return nil }
        var minutes = 0
        if s.take(UInt8(ascii: ":")) {
            guard let m = s.digits(exactly: 2) else { return nil }
            minutes = m
        } else if s.digitCount > 0 {
            guard let m = s.digits(exactly: 2) else { return nil }
            minutes = m
        }
        // Real offsets stay within a day; anything more is a typo, not a zone.
        guard hours <= 23, minutes <= 59 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }
}
