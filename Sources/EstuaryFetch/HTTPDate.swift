import EstuaryCore
import Foundation

/// HTTP's time headers.
enum HTTPDate {
    /// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form HTTP requires.
    static func parse(_ value: String) -> Date? {
        let parts = value.trimmingCharacters(in: .whitespaces).split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let month = months.firstIndex(of: String(parts[2])) else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        return CivilTime.date(year: year, month: month + 1, day: day, hour: time[0], minute: time[1], second: time[2])
    }

    /// Retry-After: delay-seconds, or an IMF-fixdate.
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
        guard let expires = expires.flatMap(parse) else { return nil }
        let lifetime = expires.timeIntervalSince(date.flatMap(parse) ?? now)
        return lifetime > 0 ? lifetime : nil
    }
}
