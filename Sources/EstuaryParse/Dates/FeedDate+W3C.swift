import Foundation

extension FeedDate {
    /// W3C-DTF / RFC 3339 (`2003-12-13T18:30:02.25+01:00`, `2003-12`, `2003`) and older ISO 8601 spellings.
    ///
    /// Beyond W3C-DTF: a space for the `T` and a space before the zone (MS SQL
    /// exports), basic `20031213`, ordinal `2003-347`, Google's zero-padded
    /// month `2003-012-13`, and ISO 8601:2000's implied-century forms
    /// `03-12-13`, `031213`, `03347`, `-0312`, `-03-12`. Forms that leave the
    /// year out (`--12-13`) are rejected: they would need today's date.
    static func w3c(_ scanner: DateScanner) -> Date? {
        var s = scanner
        var fields = Fields()
        guard calendarDate(&s, into: &fields) else { return nil }
        if !s.atEnd {
            guard s.takeLetter(UInt8(ascii: "t")) || s.skipSpaces(), clock(&s, hourDigits: 2...2, into: &fields) else {
                return nil
            }
        }
        return fields.date
    }

    /// Reads a date that ends where a time may begin; false when it is not one of the accepted forms.
    private static func calendarDate(_ s: inout DateScanner, into fields: inout Fields) -> Bool {
        let hyphen = UInt8(ascii: "-")
        if s.take(hyphen) {
            // -YYMM or -YY-MM: a month in an implied century, alone.
            guard let year = s.digits(exactly: 2) else { return false }
            _ = s.take(hyphen)
            guard let month = s.digits(exactly: 2), s.atEnd else { return false }
            fields.year = fullYear(twoDigit: year)
            fields.month = month
            return true
        }
        let leadingZero = s.current == UInt8(ascii: "0")
        switch s.digitCount {
        case 4:
            fields.year = s.digits(exactly: 4)!
            // A year alone takes no time, like a month alone.
            guard s.take(hyphen) else { return s.atEnd }
            return extendedMonthAndDay(&s, into: &fields)
        case 8:
            fields.year = s.digits(exactly: 4)!
            fields.month = s.digits(exactly: 2)!
            fields.day = s.digits(exactly: 2)!
            return true
        case 7:
            fields.year = s.digits(exactly: 4)!
            return fields.setOrdinal(s.digits(exactly: 3)!)
        // An unsigned run of five or six digits led by 1-9 reads as well as a
        // year past 9999 (feedparser's own W3C tests reject `22013` as one); a
        // padded two-digit year is the only reading of a zero-led run.
        case 6 where leadingZero:
            fields.year = fullYear(twoDigit: s.digits(exactly: 2)!)
            fields.month = s.digits(exactly: 2)!
            fields.day = s.digits(exactly: 2)!
            return s.atEnd
        case 5 where leadingZero:
            fields.year = fullYear(twoDigit: s.digits(exactly: 2)!)
            return fields.setOrdinal(s.digits(exactly: 3)!) && s.atEnd
        case 2:
            // YY-MM-DD or YY-DDD, always hyphenated: the bare two digits are a century in ISO 8601.
            fields.year = fullYear(twoDigit: s.digits(exactly: 2)!)
            guard s.take(hyphen) else { return false }
            if let ordinal = s.digits(exactly: 3) { return fields.setOrdinal(ordinal) && s.atEnd }
            guard let month = s.digits(exactly: 2), s.take(hyphen), let day = s.digits(exactly: 2) else { return false }
            fields.month = month
            fields.day = day
            return s.atEnd
        default:
            return false
        }
    }

    /// After `YYYY-`: `MM`, `MM-DD`, `DDD` or Google's `0MM-DD`.
    private static func extendedMonthAndDay(_ s: inout DateScanner, into fields: inout Fields) -> Bool {
        let hyphen = UInt8(ascii: "-")
        switch s.digitCount {
        case 2:
            fields.month = s.digits(exactly: 2)!
            // A month alone takes no time: W3C-DTF gives times only to complete dates.
            guard s.take(hyphen) else { return s.atEnd }
            guard let day = s.digits(exactly: 2) else { return false }
            fields.day = day
            return true
        case 3:
            let leadingZero = s.current == UInt8(ascii: "0")
            let number = s.digits(exactly: 3)!
            // Google once wrote months as `012`; a day follows, which an ordinal never has.
            if leadingZero, s.take(hyphen) {
                guard let day = s.digits(exactly: 2) else { return false }
                fields.month = number
                fields.day = day
                return true
            }
            return fields.setOrdinal(number)
        default:
            return false
        }
    }

    /// `hh:mm[:ss[.fff]]` and an optional zone, to the end of the text.
    ///
    /// With no zone the time is read as UTC, as feedparser and MS SQL exports
    /// expect. A zone after a space is read as RFC 822 reads one
    /// (`trailingZone`), so names count there: Ruby's `Time#to_s` writes
    /// `2017-12-04 09:15:22 UTC`.
    static func clock(_ s: inout DateScanner, hourDigits: ClosedRange<Int>, into fields: inout Fields) -> Bool {
        let colon = UInt8(ascii: ":")
        guard let hour = s.digits(hourDigits), s.take(colon), let minute = s.digits(exactly: 2) else { return false }
        fields.hour = hour
        fields.minute = minute
        if s.take(colon) {
            guard let second = s.digits(exactly: 2) else { return false }
            fields.second = second
            if s.take(UInt8(ascii: ".")) || s.take(UInt8(ascii: ",")) {
                guard let fraction = s.fraction() else { return false }
                fields.fraction = fraction
            }
        }
        if s.skipSpaces(), !s.atEnd {
            guard meridiem(&s, into: &fields) else { return false }
            guard !s.atEnd else { return true }
            guard let offset = trailingZone(s) else { return false }
            fields.offset = offset
            return true
        }
        if s.takeLetter(UInt8(ascii: "z")) {
            fields.offset = 0
        } else if s.current == UInt8(ascii: "+") || s.current == UInt8(ascii: "-") {
            guard let offset = numericOffset(&s) else { return false }
            fields.offset = offset
        }
        return s.atEnd
    }
}
