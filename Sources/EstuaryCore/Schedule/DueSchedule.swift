import Foundation

/// The daemon's sources by due time: the earliest, and those due now, found without looking at
/// the others (a daemon of 100,000 sources wakes many times a minute).
///
/// A binary heap of (time, id); a source has one due time in `times`, and an entry the heap still
/// holds for an older one is dropped when it comes up.
struct DueSchedule {
    private var heap: [(time: Date, id: String)] = []
    private var times: [String: Date] = [:]

    var count: Int { times.count }

    /// Schedules `id` at `time`, replacing its earlier time; nil takes it out.
    mutating func set(_ id: String, at time: Date?) {
        guard let time else {
            times[id] = nil
            return
        }
        guard times.updateValue(time, forKey: id) != time else { return }
        push((time, id))
        // Entries left behind by rescheduled sources: rebuilt when they outnumber the sources.
        if heap.count > 2 * times.count + 1024 {
            heap = times.map { ($0.value, $0.key) }
            for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
        }
    }

    mutating func removeAll() {
        heap.removeAll()
        times.removeAll()
    }

    /// The earliest due time of any source.
    mutating func earliest() -> Date? {
        dropStale()
        return heap.first?.time
    }

    /// Takes out every source due at `now` or before, earliest first.
    mutating func takeDue(at now: Date) -> [String] {
        var due: [String] = []
        while true {
            dropStale()
            guard let top = heap.first, top.time <= now else { return due }
            due.append(top.id)
            times[top.id] = nil
            pop()
        }
    }

    private mutating func dropStale() {
        while let top = heap.first, times[top.id] != top.time { pop() }
    }

    private mutating func push(_ entry: (time: Date, id: String)) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].time < heap[parent].time else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        siftDown(0)
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let (left, right) = (2 * parent + 1, 2 * parent + 2)
            var smallest = parent
            if left < heap.count, heap[left].time < heap[smallest].time { smallest = left }
            if right < heap.count, heap[right].time < heap[smallest].time { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
