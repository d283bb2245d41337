import EstuaryCCurl
import EstuaryCore
import EstuaryCurlShims
import Foundation

/// One libcurl multi handle, driven by a dedicated thread.
///
/// `curl_multi_poll` blocks, so it never runs on Swift's cooperative pool
/// (which has one thread per core). Jobs arrive through a lock-protected inbox
/// and `curl_multi_wakeup`; results leave through each job's completion.
/// The multi handle and every easy handle are touched by the engine thread only.
final class MultiEngine: @unchecked Sendable {
    struct Job {
        let request: FetchRequest
        let completion: @Sendable (FetchResult) -> Void
    }

    private let multi: UnsafeMutableRawPointer
    private let limits: FetchLimits
    private let lock = NSLock()
    private var inbox: [Job] = []
    private var stopping = false
    // Engine thread only.
    private var active: [UnsafeMutableRawPointer: EasyTransfer] = [:]

    init(limits: FetchLimits) {
        Curl.ensureInitialized()
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        self.multi = multi
        self.limits = limits
        check(estuary_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, limits.maxConnections), "max connections")
        check(
            estuary_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, limits.maxConnectionsPerHost), "max host connections")
        check(estuary_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX)), "multiplexing")
        let thread = Thread { [self] in self.loop() }
        thread.name = "estuary-curl"
        thread.start()
    }

    private func check(_ code: CURLMcode, _ what: String) {
        precondition(code == CURLM_OK, "curl_multi_setopt(\(what)) failed: \(String(cString: curl_multi_strerror(code)))")
    }

    /// Queues a job; its completion runs on the engine thread.
    func submit(_ job: Job) {
        lock.withLock { inbox.append(job) }
        curl_multi_wakeup(multi)
    }

    /// Ends the engine thread after the transfers under way; the handle is freed by the thread.
    func shutdown() {
        lock.withLock { stopping = true }
        curl_multi_wakeup(multi)
    }

    private func loop() {
        var running: Int32 = 0
        while true {
            let (jobs, stop) = lock.withLock { () -> ([Job], Bool) in
                defer { inbox.removeAll(keepingCapacity: true) }
                return (inbox, stopping)
            }
            for job in jobs { start(job) }
            if stop && active.isEmpty { break }

            let code = curl_multi_perform(multi, &running)
            if code != CURLM_OK && code != CURLM_CALL_MULTI_PERFORM {
                failAll("libcurl multi error: \(String(cString: curl_multi_strerror(code)))")
            }
            collectFinished()
            var ready: Int32 = 0
            _ = curl_multi_poll(multi, nil, 0, 1000, &ready)
        }
        curl_multi_cleanup(multi)
    }

    private func start(_ job: Job) {
        guard let transfer = EasyTransfer(request: job.request, limits: limits, completion: job.completion) else {
            job.completion(.failure(FetchFailure(stage: "http", message: "libcurl could not create a transfer (out of memory?)")))
            return
        }
        if let problem = transfer.configure() {
            job.completion(.failure(FetchFailure(stage: "http", message: "libcurl refused an option: \(problem)")))
            return
        }
        let code = curl_multi_add_handle(multi, transfer.handle)
        guard code == CURLM_OK else {
            job.completion(
                .failure(
                    FetchFailure(message: "libcurl could not start the transfer: \(String(cString: curl_multi_strerror(code)))")))
            return
        }
        active[transfer.handle] = transfer
    }

    private func collectFinished() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                let transfer = active.removeValue(forKey: handle)
            else { continue }
            let code = message.pointee.data.result
            curl_multi_remove_handle(multi, handle)
            transfer.completion(transfer.result(code: code))
        }
    }

    private func failAll(_ message: String) {
        for (handle, transfer) in active {
            curl_multi_remove_handle(multi, handle)
            transfer.completion(.failure(FetchFailure(stage: "http", message: message)))
        }
        active.removeAll()
    }
}
