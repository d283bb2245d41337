import Foundation

/// Durations written the way operators write them: `90s`, `30m`, `1h30m`, `1d`, or plain seconds.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let chars = Array(text.trimmingCharacters(in: .whitespaces))
        if let seconds = Int(String(chars)) { return seconds >= 0 ? .seconds(seconds) : nil }
        var total: Duration = .zero
        var i = 0
        var sawUnit = false
        while i < chars.count {
            var digits = ""
            while i < chars.count, chars[i].isASCII, chars[i].isNumber {
                digits.append(chars[i])
                i += 1
            }
            guard let n = Int(digits), i < chars.count else { return nil }
            let unit: Duration
            if chars[i] == "m", i + 1 < chars.count, chars[i + 1] == "s" {
                unit = .milliseconds(1)
                i += 1
            } else {
                switch chars[i] {
                case "s": unit = .seconds(1)
                case "m": unit = .seconds(60)
                case "h": unit = .seconds(3600)
                case "d": unit = .seconds(86_400)
                default: return nil
                }
            }
            guard n <= 1_000_000_000 else { return nil }
            total += unit * n
            i += 1
            sawUnit = true
        }
        return sawUnit ? total : nil
    }

    /// `1h30m`, `45s`, `500ms`: the shortest exact spelling.
    public static func format(_ duration: Duration) -> String {
        var s = Int(duration.components.seconds)
        let ms = Int(duration.components.attoseconds / 1_000_000_000_000_000)
        if s == 0 { return ms == 0 ? "0s" : "\(ms)ms" }
        var out = ""
        for (unit, name) in [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")] where s >= unit {
            out += "\(s / unit)\(name)"
            s %= unit
        }
        return out
    }
}

extension Duration {
    /// The duration in seconds, as a TimeInterval.
    public var seconds: TimeInterval {
        TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
    }
}
