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

    /// asctime from its time on: `16:29:06 2004`, or with the zone before the year as Twitter
    /// (`01:16:00 +0000 2012`) and Unix `date` (`09:15:22 AEDT 2017`) write it.
    private static func asctimeRest(_ time: DateScanner, _ s: inout DateScanner, into fields: inout Fields) -> Bool {
        guard timeOfDay(time, into: &fields), meridiem(&s, into: &fields), let next = s.nextToken() else { return false }
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
        guard timeOfDay(time, into: &fields), meridiem(&s, into: &fields) else { return false }
        guard !s.atEnd else { return true }
        guard let offset = trailingZone(s) else { return false }
        fields.offset = offset
        return true
    }

    /// `AM` or `PM` after a 12-hour clock (`10:00 PM`), taken into the hour; false for an hour a
    /// 12-hour clock does not have. Anything else is left for the zone: `PM` is no zone name.
    static func meridiem(_ s: inout DateScanner, into fields: inout Fields) -> Bool {
        var peek = s
        guard let token = peek.nextToken() else { return true }
        let pm = token.equalsIgnoringCase("pm")
        guard pm || token.equalsIgnoringCase("am") else { return true }
        guard (1...12).contains(fields.hour) else { return false }
        fields.hour = fields.hour % 12 + (pm ? 12 : 0)
        s = peek
        return true
    }

    /// The zone that ends a date, as seconds east of UTC, read with whatever may follow it to the end of the text.
    ///
    /// After a numeric offset its name may follow (`+0000 GMT`), and after
    /// either an RFC 2822 comment (`-0800 (PST)`, JavaScript's
    /// `GMT+0000 (Coordinated Universal Time)`); the offset decides, the
    /// words are not read. W3C-DTF's clock ends here too when a space comes
    /// before the zone (Ruby's `2017-12-04 09:15:22 UTC`).
    static func trailingZone(_ scanner: DateScanner) -> Int? {
        var s = scanner
        guard let zone = s.nextToken(), let offset = zoneOffset(zone) else { return nil }
        let lastByte = s.rest.last
        guard var next = s.nextToken() else { return offset }
        if zone.current == UInt8(ascii: "+") || zone.current == UInt8(ascii: "-"), next.isWord {
            guard let after = s.nextToken() else { return offset }
            next = after
        }
        // A comment runs from its `(` to the `)` that ends the text; nothing inside it is read.
        return next.current == UInt8(ascii: "(") && lastByte == UInt8(ascii: ")") ? offset : nil
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

    /// Minutes east of UTC for zone names, per RFC 822 and the abbreviations feeds use beyond it.
    private static let zoneNames: [(name: String, minutes: Int)] = [
        ("ut", 0), ("utc", 0), ("gmt", 0), ("z", 0),
        ("ast", -4 * 60), ("adt", -3 * 60), ("at", -4 * 60),
        ("est", -5 * 60), ("edt", -4 * 60), ("et", -5 * 60),
        ("cst", -6 * 60), ("cdt", -5 * 60), ("ct", -6 * 60),
        ("mst", -7 * 60), ("mdt", -6 * 60), ("mt", -7 * 60),
        ("pst", -8 * 60), ("pdt", -7 * 60), ("pt", -8 * 60),
        ("akst", -9 * 60), ("akdt", -8 * 60), ("hst", -10 * 60),
        // Western and Central European time: MET is the older name for CET.
        ("wet", 0), ("west", 1 * 60), ("bst", 1 * 60),
        ("met", 1 * 60), ("mest", 2 * 60), ("cet", 1 * 60), ("cest", 2 * 60),
        ("eet", 2 * 60), ("eest", 3 * 60), ("msk", 3 * 60),
        // IST is India's, Ireland's (+1) and Israel's (+2); India's is the one feeds mean most often.
        ("ist", 5 * 60 + 30),
        ("sgt", 8 * 60), ("hkt", 8 * 60), ("jst", 9 * 60), ("kst", 9 * 60),
        ("aest", 10 * 60), ("aedt", 11 * 60), ("nzst", 12 * 60), ("nzdt", 13 * 60),
        // German feeds' names for CET and CEST; Australia's other zones; and the rest of the
        // names common enough to be written in feeds.
        ("mez", 1 * 60), ("mesz", 2 * 60), ("acst", 9 * 60 + 30), ("acdt", 10 * 60 + 30), ("awst", 8 * 60),
        ("sast", 2 * 60), ("nst", -(3 * 60 + 30)), ("ndt", -(2 * 60 + 30)), ("pht", 8 * 60), ("wib", 7 * 60),
        ("brt", -3 * 60), ("art", -3 * 60),
    ]

    /// `+0100`, `-05:00`, `GMT`, `EST`, `GMT-01:01`, `UTC+2`, `Etc/GMT`, military letters (`Z`).
    ///
    /// A zone name not in the table (`XYZ`, `PST8PDT`, `America/New_York`)
    /// reads as UTC, as feedparser reads it: the date and time were
    /// recognised, and a date a few hours off serves better than none. An
    /// offset that cannot be read is refused instead: it is a typo, not a name.
    static func zoneOffset(_ token: DateScanner) -> Int? {
        var z = token
        if z.current == UInt8(ascii: "+") || z.current == UInt8(ascii: "-") {
            let offset = numericOffset(&z)
            return z.atEnd ? offset : nil
        }
        guard isZoneName(token) else { return nil }
        if z.takeLetter(UInt8(ascii: "e")), z.takeLetter(UInt8(ascii: "t")), z.takeLetter(UInt8(ascii: "c")),
            z.take(UInt8(ascii: "/"))
        {
            // tz database names; `Etc/GMT+5` is five hours *west*, so offsets are refused rather than misread.
            // The others (`Etc/UTC`, `Etc/Zulu`, `Etc/Greenwich`) are all UTC.
            return z.contains(UInt8(ascii: "+")) || z.contains(UInt8(ascii: "-")) ? nil : 0
        }
        z = token
        let name = z.letters()
        if name.equalsIgnoringCase("gmt") || name.equalsIgnoringCase("utc") || name.equalsIgnoringCase("ut"),
            !z.atEnd
        {
            // `GMT-01:01`, `UTC+2`: an offset from UT, the only name an offset can follow without doubt.
            guard let offset = offsetFromUT(&z), z.atEnd else { return nil }
            return offset
        }
        // AM and PM belong to the clock (``meridiem``): read as a zone, a time would be 12 hours off.
        if name.equalsIgnoringCase("am") || name.equalsIgnoringCase("pm") { return nil }
        // A known name counts with a POSIX rule after it (`EST5EDT`, `CEST+2`: the standard time
        // it names); an unknown one with more after it (`America/New_York`) is read as UTC.
        if let entry = zoneNames.first(where: { name.equalsIgnoringCase($0.name) }) { return entry.minutes * 60 }
        guard z.atEnd else { return 0 }
        // RFC 822 military zones are ambiguous in practice (their signs were
        // published backwards); they read as UTC, as RFC 2822 advises, like
        // any other name. J alone stays refused: it means the writer's local
        // time, whatever that was.
        return name.equalsIgnoringCase("j") ? nil : 0
    }

    /// A token that can only be a zone's name: an ASCII letter, then letters, digits and `/_+-:`
    /// (tz database names, `GMT-01:01`).
    private static func isZoneName(_ token: DateScanner) -> Bool {
        guard let first = token.current, first | 0x20 >= 0x61, first | 0x20 <= 0x7A else { return false }
        return token.rest.allSatisfy { b in
            let letter = b | 0x20 >= 0x61 && b | 0x20 <= 0x7A
            return letter || DateScanner.isDigit(b) || b == UInt8(ascii: "/") || b == UInt8(ascii: "_")
                || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: ":")
        }
    }

    /// The offset after `GMT`, `UTC` or `UT`: `numericOffset`'s forms, or the one-digit hour
    /// people write (`UTC+2`, `GMT-5:30`).
    private static func offsetFromUT(_ z: inout DateScanner) -> Int? {
        var short = z
        guard let sign = short.sign(), short.digitCount == 1, let hours = short.digits(exactly: 1) else {
            return numericOffset(&z)
        }
        var minutes = 0
        if short.take(UInt8(ascii: ":")) {
            guard let m = short.digits(exactly: 2), m <= 59 else { return nil }
            minutes = m
        }
        z = short
        return sign * (hours * 3600 + minutes * 60)
    }
}
