import Foundation

/// Conversions between `Date` and proleptic Gregorian calendar fields in UTC.
///
/// Pure arithmetic (Howard Hinnant's days-from-civil algorithm): no locale, no
/// time zone database, no shared formatter, so it is exact, thread-safe and fast.
public enum CivilTime {
    /// Days since 1970-01-01 for a Gregorian date.
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The Gregorian date for a count of days since 1970-01-01.
    public static func civil(days z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Builds a date from UTC fields; nil when a field is out of range.
    public static func date(
        year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0,
        fraction: Double = 0, offsetSeconds: Int = 0
    ) -> Date? {
        // Years a calendar can mean; beyond them the arithmetic below would overflow (hostile headers).
        guard (-99_999...99_999).contains(year), (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            (0...24).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        // 24:00:00 is the end of the day; a leap second is read as the next second.
        if hour == 24 && (minute != 0 || second != 0) { return nil }
        let seconds =
            days(year: year, month: month, day: day) * 86_400
            + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the form used in every record and output Estuary writes.
    public static func rfc3339(_ date: Date) -> String {
        let total = clampedSeconds(date)
        let dayCount = Int((Double(total) / 86_400).rounded(.down))
        let secs = total - dayCount * 86_400
        let (y, m, d) = civil(days: dayCount)
        // Written as bytes into the string's own storage: one allocation, no intermediate strings
        // (this runs twice per item in every record and output). The clamp above keeps every field
        // non-negative and the year at four digits, which `put` relies on.
        return String(unsafeUninitializedCapacity: 20) { out in
            func put(_ value: Int, _ width: Int, at index: Int) {
                var rest = value
                for offset in (0..<width).reversed() {
                    out[index + offset] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            put(y, 4, at: 0)
            out[4] = UInt8(ascii: "-")
            put(m, 2, at: 5)
            out[7] = UInt8(ascii: "-")
            put(d, 2, at: 8)
            out[10] = UInt8(ascii: "T")
            put(secs / 3600, 2, at: 11)
            out[13] = UInt8(ascii: ":")
            put(secs % 3600 / 60, 2, at: 14)
            out[16] = UInt8(ascii: ":")
            put(secs % 60, 2, at: 17)
            out[19] = UInt8(ascii: "Z")
            return 20
        }
    }

    /// `Mon, 04 Dec 2017 09:15:22 +0000`: RFC 822 as RSS 2.0 wants it, with a numeric zone.
    public static func rfc822(_ date: Date) -> String {
        let total = clampedSeconds(date)
        let dayCount = Int((Double(total) / 86_400).rounded(.down))
        let secs = total - dayCount * 86_400
        let (y, m, d) = civil(days: dayCount)
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][((dayCount % 7) + 7) % 7]
        let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1]
        return
            "\(weekday), \(pad(d, 2)) \(month) \(pad(y, 4)) \(pad(secs / 3600, 2)):\(pad(secs % 3600 / 60, 2)):\(pad(secs % 60, 2)) +0000"
    }

    /// Seconds since the epoch, saturated at years 0001 and 9999 (NaN reads as the epoch): both
    /// formats then write a four-digit year, and a hostile date never traps.
    private static func clampedSeconds(_ date: Date) -> Int {
        let raw = date.timeIntervalSince1970
        return raw.isNaN ? 0 : Int(min(max(raw, -62_135_596_800), 253_402_300_799).rounded(.down))
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
