/// One store call at a time, waited for by suspending, not by blocking a thread.
///
/// The state database has one writer. A task that called it while another wrote would block one
/// of the few threads of Swift's pool (one per core) inside SQLite's lock, and parsing would stop
/// on that core. Tasks wait here instead, suspended, and the core goes on parsing.
actor StoreGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the gate to the next waiter, in arrival order.
    func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
