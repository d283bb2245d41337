import Foundation

extension FeedDate {
    /// RFC 822 / 2822 as RSS writes it (`Mon, 04 Dec 2017 09:15:22 +0000`) and the layouts feeds mistake for it.
    ///
    /// Also month before day (`Dec 04 2017 09:15:22 +0000`), asctime with or
    /// without a zone before the year (`Sun Jan  4 16:29:06 2004`),
    /// `04-Dec-2017`, Perforce's `2006/09/15`, long and Greek month names.
    static func rfc822(_ scanner: DateScanner) -> Date? {
        var s = scanner
        guard var token = s.nextToken() else { return nil }
        // The day name is redundant, so it is skipped in any language rather than checked.
        if token.isWord, month(token) == nil {
            guard let next = s.nextToken() else { return nil }
            token = next
        }
        var fields = Fields()
        if token.contains(UInt8(ascii: "/")) {
            guard slashedDate(token, into: &fields) else { return nil }
        } else if token.contains(UInt8(ascii: "-")) {
            guard hyphenatedDate(token, into: &fields) else { return nil }
        } else if token.digitCount > 0 {
            guard let day = day(token), let month = s.nextToken().flatMap(month), let year = s.nextToken().flatMap(year)
            else { return nil }
            (fields.day, fields.month, fields.year) = (day, month, year)
        } else if let month = month(token) {
            guard let day = s.nextToken().flatMap(day), let next = s.nextToken() else { return nil }
            (fields.day, fields.month) = (day, month)
            if next.contains(UInt8(ascii: ":")) {
                return asctimeRest(next, &s, into: &fields) ? fields.date : nil
            }
            guard let year = year(next) else { return nil }
            fields.year = year
        } else {
            return nil
        }
        return timeAndZone(&s, into: &fields) ? fields.date : nil
    }

    /// asctime from its time on: `16:29:06 2004` or, as Twitter wrote it, `01:16:00 +0000 2012`.
    private static func asctimeRest(_ time: DateScanner, _ s: inout DateScanner, into fields: inout Fields) -> Bool {
        guard timeOfDay(time, into: &fields), let next = s.nextToken() else { return false }
        if let year = year(next) {
            fields.year = year
        } else {
            guard let offset = zoneOffset(next), let year = s.nextToken().flatMap(year) else { return false }
            fields.offset = offset
            fields.year = year
        }
        return s.nextToken() == nil
    }

    /// An optional time, an optional zone after it, then nothing.
    private static func timeAndZone(_ s: inout DateScanner, into fields: inout Fields) -> Bool {
        guard let time = s.nextToken() else { return true }
        guard timeOfDay(time, into: &fields) else { return false }
        guard let zone = s.nextToken() else { return true }
        guard let offset = zoneOffset(zone) else { return false }
        fields.offset = offset
        return s.nextToken() == nil
    }

    /// Perforce's `2006/09/15`; year first, so it never meets the US/European ambiguity.
    private static func slashedDate(_ token: DateScanner, into fields: inout Fields) -> Bool {
        var t = token
        let slash = UInt8(ascii: "/")
        guard let year = t.digits(exactly: 4), t.take(slash), let month = t.digits(1...2), t.take(slash),
            let day = t.digits(1...2), t.atEnd
        else { return false }
        (fields.year, fields.month, fields.day) = (year, month, day)
        return true
    }

    /// `04-Dec-2017`, `4-Dec-17`.
    private static func hyphenatedDate(_ token: DateScanner, into fields: inout Fields) -> Bool {
        var t = token
        let hyphen = UInt8(ascii: "-")
        guard let day = t.digits(1...2), t.take(hyphen), let month = month(t.token(upTo: hyphen)), t.take(hyphen),
            let year = year(t)
        else { return false }
        (fields.year, fields.month, fields.day) = (year, month, day)
        return true
    }

    /// `hh:mm` or `hh:mm:ss`; the hour may lose its leading zero.
    private static func timeOfDay(_ token: DateScanner, into fields: inout Fields) -> Bool {
        var t = token
        let colon = UInt8(ascii: ":")
        guard let hour = t.digits(1...2), t.take(colon), let minute = t.digits(exactly: 2) else { return false }
        var second = 0
        if t.take(colon) {
            guard let s = t.digits(exactly: 2) else { return false }
            second = s
        }
        guard t.atEnd else { return false }
        (fields.hour, fields.minute, fields.second) = (hour, minute, second)
        return true
    }

    private static func day(_ token: DateScanner) -> Int? {
        var t = token
        guard let day = t.digits(1...2), t.atEnd else { return nil }
        return day
    }

    /// Four digits as written (year 100 stays 100), two through `fullYear(twoDigit:)`; no other length.
    private static func year(_ token: DateScanner) -> Int? {
        var t = token
        if let year = t.digits(exactly: 4) { return t.atEnd ? year : nil }
        if let year = t.digits(exactly: 2) { return t.atEnd ? fullYear(twoDigit: year) : nil }
        return nil
    }

    private static let monthNames = [
        "january", "february", "march", "april", "may", "june",
        "july", "august", "september", "october", "november", "december",
    ]

    /// An English month name or any prefix of one from three letters (`Dec`, `Sept`, `January`), or a Greek one.
    static func month(_ token: DateScanner) -> Int? {
        for (index, name) in monthNames.enumerated() where token.isPrefix(of: name, minimum: 3) {
            return index + 1
        }
        return greekMonth(token)
    }

    /// Hours east of UTC for zone names, per RFC 822 and the abbreviations feeds use beyond it.
    private static let zoneNames: [(name: String, hours: Int)] = [
        ("ut", 0), ("utc", 0), ("gmt", 0), ("z", 0),
        ("ast", -4), ("adt", -3), ("at", -4),
        ("est", -5), ("edt", -4), ("et", -5),
        ("cst", -6), ("cdt", -5), ("ct", -6),
        ("mst", -7), ("mdt", -6), ("mt", -7),
        ("pst", -8), ("pdt", -7), ("pt", -8),
        // Central European time: MET is the older name for CET.
        ("met", 1), ("mest", 2), ("cet", 1), ("cest", 2),
    ]

    /// `+0100`, `-05:00`, `GMT`, `EST`, `GMT-01:01`, `Etc/GMT`, military letters (`Z`).
    static func zoneOffset(_ token: DateScanner) -> Int? {
        var z = token
        if z.current == UInt8(ascii: "+") || z.current == UInt8(ascii: "-") {
            let offset = numericOffset(&z)
            return z.atEnd ? offset : nil
        }
        if z.takeLetter(UInt8(ascii: "e")), z.takeLetter(UInt8(ascii: "t")), z.takeLetter(UInt8(ascii: "c")),
            z.take(UInt8(ascii: "/"))
        {
            // tz database names; `Etc/GMT+5` is five hours *west*, so offsets are refused rather than misread.
            return z.equalsIgnoringCase("gmt") || z.equalsIgnoringCase("utc") || z.equalsIgnoringCase("ut") ? 0 : nil
        }
        z = token
        let name = z.letters()
        if !z.atEnd {
            // `GMT-01:01`: an offset from UT, the only name an offset can follow without doubt.
            guard name.equalsIgnoringCase("gmt") || name.equalsIgnoringCase("utc") || name.equalsIgnoringCase("ut"),
                let offset = numericOffset(&z), z.atEnd
            else { return nil }
            return offset
        }
        if let entry = zoneNames.first(where: { name.equalsIgnoringCase($0.name) }) { return entry.hours * 3600 }
        // RFC 822 military zones are ambiguous in practice (their signs were
        // published backwards); read them as UTC, as RFC 2822 advises.
        return name.count == 1 && name.isWord && !name.equalsIgnoringCase("j") ? 0 : nil
    }
}
