import EstuaryCore
import Foundation
import Testing

@Suite struct CivilTimeTests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00Z"),
        (1_512_378_922, "2017-12-04T09:15:22Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (-86_400, "1969-12-31T00:00:00Z"),
        (4_102_444_799, "2099-12-31T23:59:59Z"),
    ])
    func formatsRFC3339InUTC(seconds: Double, text: String) {
        #expect(CivilTime.rfc3339(Date(timeIntervalSince1970: seconds)) == text)
    }

    /// RSS's dates saturate at years 0001 and 9999 as Atom's do: a date from a hostile feed wrote
    /// `00-1` and `10000` as its year, or trapped on an infinite one.
    @Test(arguments: [
        (1_512_378_922, "Mon, 04 Dec 2017 09:15:22 +0000"),
        (-70_000_000_000, "Mon, 01 Jan 0001 00:00:00 +0000"),
        (300_000_000_000, "Fri, 31 Dec 9999 23:59:59 +0000"),
        (Double.infinity, "Fri, 31 Dec 9999 23:59:59 +0000"),
        (Double.nan, "Thu, 01 Jan 1970 00:00:00 +0000"),
    ])
    func formatsRFC822WithinFourDigitYears(seconds: Double, text: String) {
        #expect(CivilTime.rfc822(Date(timeIntervalSince1970: seconds)) == text)
    }

    @Test func roundTripsEveryDayOfFourHundredYears() {
        for day in stride(from: -146_097, to: 146_097, by: 1) {
            let (y, m, d) = CivilTime.civil(days: day)
            #expect(CivilTime.days(year: y, month: m, day: d) == day)
        }
    }

    @Test func rejectsImpossibleDates() {
        #expect(CivilTime.date(year: 2023, month: 2, day: 29) == nil)
        #expect(CivilTime.date(year: 2024, month: 13, day: 1) == nil)
        #expect(CivilTime.date(year: 2024, month: 4, day: 31) == nil)
        #expect(CivilTime.date(year: 2024, month: 1, day: 1, hour: 25) == nil)
        #expect(CivilTime.date(year: 2024, month: 2, day: 29) != nil)
    }

    @Test func appliesTheOffset() {
        let date = CivilTime.date(year: 2024, month: 5, day: 2, hour: 8, minute: 30, offsetSeconds: 7200)
        #expect(date.map(CivilTime.rfc3339) == "2024-05-02T06:30:00Z")
    }
}
