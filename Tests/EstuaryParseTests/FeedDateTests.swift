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
    ])
    func parses(text: String, utc: String) {
        #expect(FeedDate.parse(text).map(CivilTime.rfc3339) == utc)
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
