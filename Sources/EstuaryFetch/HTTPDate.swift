import EstuaryCore
import Foundation

/// HTTP's own date formats, for Retry-After.
enum HTTPDate {
    /// Retry-After as a time: delay-seconds from now, or an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
    static func retryAfter(_ value: String, now: Date = Date()) -> Date? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text) { return seconds >= 0 ? now.addingTimeInterval(Double(seconds)) : nil }
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let month = months.firstIndex(of: String(parts[2])) else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        return CivilTime.date(year: year, month: month + 1, day: day, hour: time[0], minute: time[1], second: time[2])
    }
}
