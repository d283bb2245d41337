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
    ])
    func parses(text: String, utc: String) {
        #expect(FeedDate.parse(text).map(CivilTime.rfc3339) == utc)
    }

    @Test(arguments: [
        "", "yesterday", "2023-02-29T00:00:00Z", "2024-13-01", "Mon, 32 Dec 2017 09:15:22 +0000",
        "Mon, 04 Foo 2017 09:15:22 +0000", "2024-05-02T25:00:00Z", "Mon, 04 Dec 2017 09:15:22 +9999",
    ])
    func rejectsWhatIsNotADate(text: String) {
        #expect(FeedDate.parse(text) == nil)
    }
}
