import EstuaryCore
import Foundation

/// HTTP's time headers.
enum HTTPDate {
    /// An HTTP date in any of the three forms RFC 9110 (5.6.7) asks recipients to accept: the
    /// IMF-fixdate every server should send (`Sun, 06 Nov 1994 08:49:37 GMT`), and the obsolete
    /// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`) forms.
    static func parse(_ value: String, now: Date = Date()) -> Date? {
        let parts = value.trimmingCharacters(in: .whitespaces).split(separator: " ")
        switch parts.count {
        case 6 where parts[5] == "GMT":
            return date(day: parts[1], month: parts[2], year: parts[3], time: parts[4])
        case 4 where parts[3] == "GMT":
            let fields = parts[1].split(separator: "-")
            guard fields.count == 3, fields[2].count == 2, let twoDigits = Int(fields[2]) else { return nil }
            // A two-digit year more than 50 years ahead is the latest past year ending in those digits.
            let thisYear = CivilTime.civil(days: Int((now.timeIntervalSince1970 / 86400).rounded(.down))).year
            var year = thisYear - thisYear % 100 + twoDigits
            if year > thisYear + 50 { year -= 100 }
            return date(day: fields[0], month: fields[1], year: Substring(String(year)), time: parts[2])
        case 5:
            return date(day: parts[2], month: parts[1], year: parts[4], time: parts[3])
        default:
            return nil
        }
    }

    private static func date(day: Substring, month: Substring, year: Substring, time: Substring) -> Date? {
        guard let day = Int(day), let year = Int(year) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let month = months.firstIndex(of: String(month)) else { return nil }
        let time = time.split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        return CivilTime.date(year: year, month: month + 1, day: day, hour: time[0], minute: time[1], second: time[2])
    }

    /// Retry-After: delay-seconds, or an HTTP date.
    static func retryAfter(_ value: String) -> RetryAfter? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text) { return seconds >= 0 ? .seconds(seconds) : nil }
        return parse(text).map { .date($0) }
    }

    /// How long a response stays fresh: `Cache-Control: max-age` (ignored with `no-store` or
    /// `no-cache`), else `Expires` minus the response's `Date` (or minus `now` without one).
    static func cacheLifetime(cacheControl: String?, expires: String?, date: String?, now: Date = Date()) -> TimeInterval? {
        if let cacheControl {
            let directives = cacheControl.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if directives.contains("no-store") || directives.contains("no-cache") { return nil }
            for directive in directives where directive.hasPrefix("max-age=") {
                let value = directive.dropFirst("max-age=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                if let seconds = Int(value), seconds > 0 { return TimeInterval(seconds) }
                return nil
            }
        }
        guard let expires = expires.flatMap({ parse($0, now: now) }) else { return nil }
        let lifetime = expires.timeIntervalSince(date.flatMap { parse($0, now: now) } ?? now)
        return lifetime > 0 ? lifetime : nil
    }
}
