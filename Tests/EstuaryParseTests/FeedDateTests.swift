import EstuaryCore
import Foundation
import Testing

@testable import EstuaryParse

@Suite struct FeedDateTests {
    @Test(arguments: [
        // RFC 822 / 2822 as RSS writes it.
        ("Mon, 04 Dec 2017 09:15:22 +0000", "2017-12-04T09:15:22Z"),
        ("Mon, 04 Dec 2017 09:15:22 GMT", "2017-12-04T09:15:22Z"),
        ("Tue, 14 May 2024 06:00:00 -0500", "2024-05-14T11:00:00Z"),
        ("14 May 2024 06:00 EST", "2024-05-14T11:00:00Z"),
        ("Sun, 6 Nov 94 08:49:37 GMT", "1994-11-06T08:49:37Z"),
        ("Thu, 01 Jan 2004 19:48:21 PDT", "2004-01-02T02:48:21Z"),
        ("Mon,04 Dec 2017 09:15:22 +01:00", "2017-12-04T08:15:22Z"),
        ("04 Dec 2017", "2017-12-04T00:00:00Z"),
        ("Dec 04 2017 09:15:22 +0000", "2017-12-04T09:15:22Z"),
        // RFC 3339 / W3C-DTF as Atom and Dublin Core write it.
        ("2017-12-04T10:02:00+00:00", "2017-12-04T10:02:00Z"),
        ("2024-05-02T08:30:00+02:00", "2024-05-02T06:30:00Z"),
        ("2003-12-13T18:30:02.25Z", "2003-12-13T18:30:02Z"),
        ("2003-12-13T18:30Z", "2003-12-13T18:30:00Z"),
        ("2003-12-13 18:30:02-05:00", "2003-12-13T23:30:02Z"),
        ("2003-12-13", "2003-12-13T00:00:00Z"),
        ("2003-12", "2003-12-01T00:00:00Z"),
        ("2003", "2003-01-01T00:00:00Z"),
        ("  2024-02-29T12:00:00Z \n", "2024-02-29T12:00:00Z"),
        // ISO 8601 beyond W3C-DTF: basic and ordinal dates.
        ("20031231", "2003-12-31T00:00:00Z"),
        ("2003-335T10:00Z", "2003-12-01T10:00:00Z"),
        // Greek months in any case, accented or not, abbreviated or in the genitive.
        ("11 ΔΕΚ 2004", "2004-12-11T00:00:00Z"),
        ("Κυρ, 11 Ιουλίου 2004 12:00:00 EST", "2004-07-11T17:00:00Z"),
        // Korean twelve-hour clock: 12 a.m. is midnight KST.
        ("2004-05-25 오전 12:23:17", "2004-05-24T15:23:17Z"),
        ("Sat, 01 Sept 2012 10:00 GMT", "2012-09-01T10:00:00Z"),
        // A zone name not in the table reads as UTC, as feedparser reads it, once the date and time are read.
        ("Mon, 04 Dec 2017 09:15:22 XYZ", "2017-12-04T09:15:22Z"),
        // A known name with a POSIX rule after it is that name (feedparser reads UTC here).
        ("Mon, 04 Dec 2017 09:15:22 PST8PDT", "2017-12-04T17:15:22Z"),
        ("Mon, 04 Dec 2017 09:15:22 America/New_York", "2017-12-04T09:15:22Z"),
        ("Mon, 04 Dec 2017 09:15:22 Etc/UTC", "2017-12-04T09:15:22Z"),
        ("Mon Dec  4 09:15:22 AEDT 2017", "2017-12-03T22:15:22Z"),
        // RFC 2822 comments after the zone, and a name after a numeric zone: the offset decides.
        ("Mon, 04 Dec 2017 09:15:22 -0800 (PST)", "2017-12-04T17:15:22Z"),
        ("Mon, 04 Dec 2017 09:15:22 +0000 (UTC)", "2017-12-04T09:15:22Z"),
        ("Mon, 04 Dec 2017 09:15:22 +0000 GMT", "2017-12-04T09:15:22Z"),
        ("Mon, 04 Dec 2017 09:15:22 -0500 EST (Eastern)", "2017-12-04T14:15:22Z"),
        // JavaScript's Date.toString().
        ("Mon Dec 04 2017 09:15:22 GMT+0000 (Coordinated Universal Time)", "2017-12-04T09:15:22Z"),
        ("Mon Dec 04 2017 09:15:22 GMT-0800 (Pacific Standard Time)", "2017-12-04T17:15:22Z"),
        // Offsets from GMT or UTC, with the hour's leading zero or without.
        ("Mon, 04 Dec 2017 09:15:22 UTC+2", "2017-12-04T07:15:22Z"),
        ("Mon, 04 Dec 2017 09:15:22 GMT+2", "2017-12-04T07:15:22Z"),
        ("Mon, 04 Dec 2017 09:15:22 GMT-0530", "2017-12-04T14:45:22Z"),
        ("Mon, 04 Dec 2017 09:15:22 UTC-5:30", "2017-12-04T14:45:22Z"),
        // Ruby's Time#to_s: W3C's date and clock, RFC 822's zone after a space.
        ("2017-12-04 09:15:22 UTC", "2017-12-04T09:15:22Z"),
        ("2017-12-04 09:15:22 +0100", "2017-12-04T08:15:22Z"),
        ("2017-12-04 09:15:22 -0800 (PST)", "2017-12-04T17:15:22Z"),
        // A 12-hour clock: AM and PM are taken into the hour, never read as a zone.
        ("Mon, 04 Dec 2017 09:15:22 PM", "2017-12-04T21:15:22Z"),
        ("Mon, 04 Dec 2017 12:05 AM +0100", "2017-12-03T23:05:00Z"),
        ("2004-01-01 10:00:00 pm", "2004-01-01T22:00:00Z"),
        ("2004-01-01 12:30:00 PM UTC", "2004-01-01T12:30:00Z"),
        // asctime with a 12-hour clock; a known zone with a POSIX rule after it is that zone's standard time.
        ("Sun Dec 03 09:15:22 PM 2017", "2017-12-03T21:15:22Z"),
        ("Sun Dec 03 12:15:22 AM 2017", "2017-12-03T00:15:22Z"),
        ("Mon, 04 Dec 2017 09:15:22 EST5EDT", "2017-12-04T14:15:22Z"),
        ("Mon, 04 Dec 2017 09:15:22 CEST+2", "2017-12-04T07:15:22Z"),
    ])
    func parses(text: String, utc: String) {
        #expect(FeedDate.parse(text).map(CivilTime.rfc3339) == utc)
    }

    /// Zone abbreviations beyond RFC 822's, after `Mon, 04 Dec 2017 09:15:22`.
    @Test(arguments: [
        ("BST", "2017-12-04T08:15:22Z"),
        // IST is India's (+05:30) here, not Ireland's or Israel's.
        ("IST", "2017-12-04T03:45:22Z"),
        ("AEST", "2017-12-03T23:15:22Z"), ("AEDT", "2017-12-03T22:15:22Z"),
        ("JST", "2017-12-04T00:15:22Z"), ("KST", "2017-12-04T00:15:22Z"),
        ("EET", "2017-12-04T07:15:22Z"), ("EEST", "2017-12-04T06:15:22Z"), ("MSK", "2017-12-04T06:15:22Z"),
        ("HST", "2017-12-04T19:15:22Z"), ("AKST", "2017-12-04T18:15:22Z"), ("AKDT", "2017-12-04T17:15:22Z"),
        ("NZST", "2017-12-03T21:15:22Z"), ("NZDT", "2017-12-03T20:15:22Z"),
        ("WET", "2017-12-04T09:15:22Z"), ("WEST", "2017-12-04T08:15:22Z"),
        ("SGT", "2017-12-04T01:15:22Z"), ("HKT", "2017-12-04T01:15:22Z"),
        // Names known before keep their offsets; case does not matter.
        ("CEST", "2017-12-04T07:15:22Z"), ("MET", "2017-12-04T08:15:22Z"), ("est", "2017-12-04T14:15:22Z"),
        ("MEZ", "2017-12-04T08:15:22Z"), ("MESZ", "2017-12-04T07:15:22Z"), ("ACST", "2017-12-03T23:45:22Z"),
        ("AWST", "2017-12-04T01:15:22Z"), ("SAST", "2017-12-04T07:15:22Z"), ("NST", "2017-12-04T12:45:22Z"),
        ("WIB", "2017-12-04T02:15:22Z"), ("BRT", "2017-12-04T12:15:22Z"),
    ])
    func readsZoneNames(zone: String, utc: String) {
        #expect(FeedDate.parse("Mon, 04 Dec 2017 09:15:22 \(zone)").map(CivilTime.rfc3339) == utc)
    }

    @Test(arguments: [
        "", "yesterday", "2023-02-29T00:00:00Z", "2024-13-01", "Mon, 32 Dec 2017 09:15:22 +0000",
        "Mon, 04 Foo 2017 09:15:22 +0000", "2024-05-02T25:00:00Z", "Mon, 04 Dec 2017 09:15:22 +9999",
        // Read as years past 9999 as readily as two-digit-year dates (only a zero-led run is the latter).
        "981231", "98335",
        // A time needs a complete date; a Greek prefix two months share; a p.m. hour off the 12-hour clock.
        "2003T10:00Z", "Κυρ, 11 Ιου 2004 12:00:00 EST", "2004-05-25 오후 13:23:17",
        // tz database `Etc/GMT+5` means five hours west: refused rather than misread.
        "Wed, 19 Aug 2009 18:28:00 Etc/GMT+5",
        // An unknown word is read as a zone only after a date and a time, and only one;
        // an offset that cannot be read, or an unclosed comment, is still refused.
        "TBA", "Mon, 04 Dec 2017 TBA", "Mon, 04 Dec 2017 09:15:22 XYZ ABC", "Mon, 30 Feb 2017 09:15:22 XYZ",
        "Mon, 04 Dec 2017 09:15:22 GMT+99", "Mon, 04 Dec 2017 09:15:22 UTC+2:99",
        "Mon, 04 Dec 2017 09:15:22 -0800 (PST", "Mon, 04 Dec 2017 09:15:22 -0800 PST later",
        "2017-12-04 09:15:22 12:00", "2017-12-04 09:15:22 (PST)", "Mon, 04 Dec 2017 13:15:22 PM",
        // PM is no zone: where no clock can take it, the date is refused rather than read 12 hours off.
        "Sun Dec 03 13:15:22 PM 2017", "Mon, 04 Dec 2017 PM",
    ])
    func rejectsWhatIsNotADate(text: String) {
        #expect(FeedDate.parse(text) == nil)
    }

    /// feedparser's date table, row for row; a row expecting null must be rejected.
    @Test(arguments: try Row.table())
    func feedparserTable(row: Row) {
        #expect(FeedDate.parse(row.input).map(CivilTime.rfc3339) == row.expectedUTC)
    }

    /// A missing or truncated fixture would otherwise pass by running fewer rows.
    @Test func feedparserTableIsComplete() throws {
        #expect(try Row.table().count == 71)
    }

    /// One row of `Fixtures/date_tests.jsonl`, feedparser's date tests (BSD-2-Clause).
    struct Row: Decodable, Sendable, CustomTestStringConvertible {
        let parser: String
        let input: String
        /// `YYYY-MM-DDTHH:MM:SSZ`, or nil when the input must be rejected.
        let expectedUTC: String?

        enum CodingKeys: String, CodingKey {
            case parser, input
            case expectedUTC = "expected_utc"
        }

        var testDescription: String { "\(parser) \"\(input)\"" }

        static func table() throws -> [Row] {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Fixtures/date_tests.jsonl")
            let decoder = JSONDecoder()
            return try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
                .map { try decoder.decode(Row.self, from: Data($0.utf8)) }
        }
    }
}
