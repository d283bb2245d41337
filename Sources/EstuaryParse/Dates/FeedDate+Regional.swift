import Foundation

extension FeedDate {
    // MARK: Greek: month names inside RFC 822 (`Κυρ, 11 Ιούλ 2004 12:00:00 EST`)

    /// Nominative and genitive of each month, unaccented and lowercase as `greekLetter` folds them.
    private static let greekMonthNames: [[[Unicode.Scalar]]] = [
        ["ιανουαριος", "ιανουαριου"], ["φεβρουαριος", "φεβρουαριου"], ["μαρτιος", "μαρτιου"],
        ["απριλιος", "απριλιου"], ["μαιος", "μαιου"], ["ιουνιος", "ιουνιου"],
        ["ιουλιος", "ιουλιου"], ["αυγουστος", "αυγουστου"], ["σεπτεμβριος", "σεπτεμβριου"],
        ["οκτωβριος", "οκτωβριου"], ["νοεμβριος", "νοεμβριου"], ["δεκεμβριος", "δεκεμβριου"],
    ].map { forms in forms.map { Array($0.unicodeScalars) } }

    /// A Greek month name or a prefix of one from three letters (`Ιούλ`, `ΔΕΚ`, `Μαΐου`).
    ///
    /// Folding case and accents lets one table serve every spelling feeds use;
    /// a prefix two months share (`Ιου`) is refused rather than guessed.
    static func greekMonth(_ token: DateScanner) -> Int? {
        // Only non-ASCII text can be Greek; this keeps junk English words from allocating.
        guard token.rest.contains(where: { $0 >= 0x80 }) else { return nil }
        var folded: [Unicode.Scalar] = []
        for scalar in String(decoding: token.rest, as: UTF8.self).unicodeScalars {
            // Decomposed text carries its accents as combining marks.
            if (0x0300...0x036F).contains(scalar.value) { continue }
            guard let letter = greekLetter(scalar.value) else { return nil }
            folded.append(letter)
        }
        guard folded.count >= 3 else { return nil }
        var found: Int?
        for (index, forms) in greekMonthNames.enumerated() where forms.contains(where: { $0.starts(with: folded) }) {
            guard found == nil else { return nil }
            found = index + 1
        }
        return found
    }

    /// The unaccented lowercase form of a Greek letter; nil for anything else.
    private static func greekLetter(_ value: UInt32) -> Unicode.Scalar? {
        let base: UInt32
        switch value {
        case 0x03C2: base = 0x03C3  // final sigma
        case 0x03B1...0x03C9: base = value
        case 0x0391...0x03A9: base = value + 0x20
        case 0x03AC, 0x0386: base = 0x03B1
        case 0x03AD, 0x0388: base = 0x03B5
        case 0x03AE, 0x0389: base = 0x03B7
        case 0x03AF, 0x038A, 0x03CA, 0x03AA, 0x0390: base = 0x03B9
        case 0x03CC, 0x038C: base = 0x03BF
        case 0x03CD, 0x038E, 0x03CB, 0x03AB, 0x03B0: base = 0x03C5
        case 0x03CE, 0x038F: base = 0x03C9
        default: return nil
        }
        return Unicode.Scalar(base)
    }

    // MARK: Hungarian: 2004-július-13T9:15-05:00

    private static let hungarianMonths = [
        "január", "február", "március", "április", "május", "június",
        "július", "augusztus", "szeptember", "október", "november", "december",
    ]

    /// W3C-DTF with the month spelled out in Hungarian and the hour's leading zero dropped.
    static func hungarian(_ scanner: DateScanner) -> Date? {
        var s = scanner
        let hyphen = UInt8(ascii: "-")
        guard let year = s.digits(exactly: 4), s.take(hyphen) else { return nil }
        let name = s.token(upTo: hyphen)
        guard let index = hungarianMonths.firstIndex(where: { name.equalsIgnoringCase($0) }), s.take(hyphen),
            let day = s.digits(1...2)
        else { return nil }
        var fields = Fields()
        (fields.year, fields.month, fields.day) = (year, index + 1, day)
        if !s.atEnd {
            guard s.takeLetter(UInt8(ascii: "t")) || s.skipSpaces(), clock(&s, hourDigits: 1...2, into: &fields) else {
                return nil
            }
        }
        return fields.date
    }

    // MARK: Korean: 2004-05-25 오후 11:23:17 (Nate), 2004년 05월 28일 01:31:15 (OnBlog)

    private static let koreanYear = Array("년".utf8)
    private static let koreanMonth = Array("월".utf8)
    private static let koreanDay = Array("일".utf8)
    private static let koreanAM = Array("오전".utf8)
    private static let koreanPM = Array("오후".utf8)

    /// Korean portals' dates, in Korea Standard Time (UTC+9), which they never write.
    ///
    /// `YYYY-MM-DD` counts as Korean only with 오전/오후 (a.m./p.m.) after it;
    /// without them it is W3C's, and UTC.
    static func korean(_ scanner: DateScanner) -> Date? {
        var s = scanner
        var fields = Fields()
        guard let year = s.digits(exactly: 4) else { return nil }
        fields.year = year
        let hyphen = UInt8(ascii: "-")
        let hyphenated = s.take(hyphen)
        if hyphenated {
            guard let month = s.digits(1...2), s.take(hyphen), let day = s.digits(1...2) else { return nil }
            (fields.month, fields.day) = (month, day)
        } else {
            s.skipSpaces()
            guard s.take(koreanYear) else { return nil }
            s.skipSpaces()
            guard let month = s.digits(1...2) else { return nil }
            s.skipSpaces()
            guard s.take(koreanMonth) else { return nil }
            s.skipSpaces()
            guard let day = s.digits(1...2) else { return nil }
            s.skipSpaces()
            guard s.take(koreanDay) else { return nil }
            (fields.month, fields.day) = (month, day)
        }
        s.skipSpaces()
        let pm: Bool? = s.take(koreanAM) ? false : s.take(koreanPM) ? true : nil
        guard pm != nil || !hyphenated else { return nil }
        s.skipSpaces()
        if !s.atEnd || pm != nil {
            let colon = UInt8(ascii: ":")
            guard var hour = s.digits(1...2), s.take(colon), let minute = s.digits(exactly: 2) else { return nil }
            if s.take(colon) {
                guard let second = s.digits(exactly: 2) else { return nil }
                fields.second = second
            }
            guard s.atEnd else { return nil }
            if let pm {
                // A twelve-hour clock: 12 a.m. is midnight, 12 p.m. noon; 0 or 13 is not on it.
                guard (1...12).contains(hour) else { return nil }
                hour = hour % 12 + (pm ? 12 : 0)
            }
            (fields.hour, fields.minute) = (hour, minute)
        }
        fields.offset = 9 * 3600
        return fields.date
    }
}
