import Foundation
import Testing

@testable import EstuaryCore

/// The daemon's schedule answers "what is due" and "when is the next" like a scan of every
/// source would, whatever order sources were scheduled and rescheduled in.
@Suite struct DueScheduleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func dueSourcesComeOutEarliestFirstAndOnlyOnce() {
        var schedule = DueSchedule()
        for (id, offset) in [("c", 30.0), ("a", 10), ("d", 40), ("b", 20)] { schedule.set(id, at: start + offset) }
        #expect(schedule.earliest() == start + 10)
        #expect(schedule.takeDue(at: start + 25) == ["a", "b"])
        #expect(schedule.takeDue(at: start + 25) == [])
        #expect(schedule.earliest() == start + 30)
        #expect(schedule.count == 2)
    }

    @Test func aRescheduledOrRemovedSourceKeepsOnlyItsLatestTime() {
        var schedule = DueSchedule()
        schedule.set("a", at: start + 10)
        schedule.set("b", at: start + 20)
        schedule.set("a", at: start + 50)  // moved later: its old entry must not make it due at 10
        schedule.set("b", at: nil)  // gone
        #expect(schedule.earliest() == start + 50)
        #expect(schedule.takeDue(at: start + 40) == [])
        #expect(schedule.takeDue(at: start + 50) == ["a"])
        #expect(schedule.earliest() == nil)
    }

    /// Many reschedules (more than the heap keeps before it compacts) against a plain dictionary.
    @Test func agreesWithAScanOfEverySource() {
        var schedule = DueSchedule()
        var times: [String: Date] = [:]
        var random = SystemRandomNumberGenerator()
        for step in 0..<20_000 {
            let id = "s\(Int.random(in: 0..<500, using: &random))"
            let time: Date? = step % 7 == 0 ? nil : start + Double(Int.random(in: 0..<10_000, using: &random))
            schedule.set(id, at: time)
            times[id] = time
            if step % 1000 == 999 {
                let now = start + Double(step / 2)
                #expect(schedule.earliest() == times.values.min())
                let due = schedule.takeDue(at: now)
                let expected = times.filter { $0.value <= now }
                #expect(Set(due) == Set(expected.keys))
                #expect(due.map { times[$0]! } == due.map { times[$0]! }.sorted())
                for id in expected.keys { times[id] = nil }
                #expect(schedule.count == times.count)
            }
        }
    }
}
