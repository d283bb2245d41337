import EstuaryCCurl
import EstuaryCore
import EstuaryCurlShims
import Foundation

/// The owner of one libcurl easy handle and everything it points to.
///
/// Lives on the multi engine's thread from creation to completion; the C
/// callbacks receive it as an unretained pointer while the engine keeps it alive.
final class EasyTransfer {
    let handle: UnsafeMutableRawPointer
    let request: FetchRequest
    let completion: @Sendable (Result<FetchedBody, FetchFailure>) -> Void
    let started = ContinuousClock.now

    private let limits: FetchLimits
    private var headers: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private(set) var body: [UInt8] = []
    private var headerBytes = 0
    /// Set when a limit stopped the transfer, to explain the write error that follows.
    private(set) var stoppedBecause: String?

    init?(request: FetchRequest, limits: FetchLimits, completion: @escaping @Sendable (Result<FetchedBody, FetchFailure>) -> Void)
    {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        self.request = request
        self.limits = limits
        self.completion = completion
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headers)
        errorBuffer.deallocate()
    }

    /// Sets every option; returns the first failure as a message.
    func configure() -> String? {
        let isFile = request.url.isFileURL
        var failures: [String] = []
        func check(_ code: CURLcode, _ what: String) {
            if code != CURLE_OK { failures.append("\(what): \(Curl.describe(code))") }
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        check(estuary_easy_setopt_string(handle, CURLOPT_URL, request.url.absoluteString), "URL")
        // file: only where the operator wrote a file URL; a redirect can never reach one.
        check(estuary_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, isFile ? "file" : "http,https"), "protocols")
        check(estuary_easy_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"), "redirect protocols")
        check(estuary_easy_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1), "follow redirects")
        check(estuary_easy_setopt_long(handle, CURLOPT_MAXREDIRS, limits.maxRedirects), "redirect limit")
        check(estuary_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, limits.connectTimeout), "connect timeout")
        check(estuary_easy_setopt_long(handle, CURLOPT_TIMEOUT, limits.totalTimeout), "timeout")
        check(estuary_easy_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, limits.lowSpeedBytesPerSecond), "low speed limit")
        check(estuary_easy_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, limits.lowSpeedSeconds), "low speed time")
        check(estuary_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "no signals")
        // "" asks for every coding this libcurl was built with (gzip, deflate, br, zstd here).
        check(estuary_easy_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, ""), "accept encoding")
        check(estuary_easy_setopt_string(handle, CURLOPT_USERAGENT, Estuary.product + " (feed aggregator)"), "user agent")
        check(estuary_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
        check(estuary_easy_setopt_write_function(handle, CURLOPT_WRITEFUNCTION, EasyTransfer.onBody), "write callback")
        check(estuary_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, me), "write data")
        check(estuary_easy_setopt_write_function(handle, CURLOPT_HEADERFUNCTION, EasyTransfer.onHeader), "header callback")
        check(estuary_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, me), "header data")
        check(estuary_easy_setopt_long(handle, CURLOPT_PIPEWAIT, 1), "HTTP/2 multiplexing")
        headers = curl_slist_append(
            headers,
            "Accept: application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
        )
        check(estuary_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headers), "request headers")
        return failures.first
    }

    /// Turns libcurl's verdict into the fetch result.
    func result(code: CURLcode) -> Result<FetchedBody, FetchFailure> {
        let elapsed = ContinuousClock.now - started
        var status = 0
        _ = estuary_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        guard code == CURLE_OK else {
            var message = stoppedBecause ?? Curl.describe(code)
            let detail = String(cString: errorBuffer)
            if stoppedBecause == nil, !detail.isEmpty, detail != message { message += ": " + detail }
            return .failure(FetchFailure(status: status == 0 ? nil : status, message: message, elapsed: elapsed))
        }
        if request.url.isFileURL { status = 200 }
        guard (200..<300).contains(status) else {
            return .failure(FetchFailure(status: status, message: HTTPStatus.describe(status), elapsed: elapsed))
        }
        var urlPointer: UnsafeMutablePointer<CChar>? = nil
        _ = estuary_easy_getinfo_string(handle, CURLINFO_EFFECTIVE_URL, &urlPointer)
        let effective = urlPointer.flatMap { URL(string: String(cString: $0)) } ?? request.url
        var typePointer: UnsafeMutablePointer<CChar>? = nil
        _ = estuary_easy_getinfo_string(handle, CURLINFO_CONTENT_TYPE, &typePointer)
        return .success(
            FetchedBody(
                status: status, body: body, effectiveURL: effective,
                contentType: typePointer.map { String(cString: $0) }, elapsed: elapsed,
                contentLocation: header("Content-Location")))
    }

    /// A response header of the last response (after redirects), nil when absent.
    private func header(_ name: String) -> String? {
        var found: UnsafeMutablePointer<curl_header>? = nil
        guard curl_easy_header(handle, name, 0, UInt32(CURLH_HEADER), -1, &found) == CURLHE_OK,
            let value = found?.pointee.value
        else { return nil }
        return String(cString: value)
    }

    // MARK: C callbacks

    /// Counts the body after decompression: CURLOPT_MAXFILESIZE stops neither a
    /// chunked body nor a gzip bomb on libcurl 7.88. A short count aborts.
    private static let onBody: estuary_write_callback = { data, size, count, context in
        guard let context else { return 0 }
        let transfer = Unmanaged<EasyTransfer>.fromOpaque(context).takeUnretainedValue()
        let bytes = size * count
        guard transfer.body.count + bytes <= transfer.limits.maxBodyBytes else {
            transfer.stoppedBecause =
                "the body is larger than \(ByteCount.describe(transfer.limits.maxBodyBytes)) (after decompression); stopped"
            return 0
        }
        data.withMemoryRebound(to: UInt8.self, capacity: bytes) {
            transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: bytes))
        }
        return bytes
    }

    private static let onHeader: estuary_write_callback = { _, size, count, context in
        guard let context else { return 0 }
        let transfer = Unmanaged<EasyTransfer>.fromOpaque(context).takeUnretainedValue()
        let bytes = size * count
        transfer.headerBytes += bytes
        guard transfer.headerBytes <= transfer.limits.maxHeaderBytes else {
            transfer.stoppedBecause =
                "the response headers are larger than \(ByteCount.describe(transfer.limits.maxHeaderBytes)); stopped"
            return 0
        }
        return bytes
    }
}

/// Sizes in the units people configure them in.
enum ByteCount {
    static func describe(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}

/// Short explanations of HTTP statuses for the per-source report.
enum HTTPStatus {
    static func describe(_ status: Int) -> String {
        let phrases: [Int: String] = [
            400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            406: "Not Acceptable", 408: "Request Timeout", 410: "Gone", 429: "Too Many Requests",
            500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout",
        ]
        var text = "HTTP \(status)"
        if let phrase = phrases[status] { text += " " + phrase }
        switch status {
        case 404, 410: text += " (check the source's url)"
        case 401, 403: text += " (the server refuses Estuary)"
        case 300..<400: text += " (a redirect without a usable Location)"
        default: break
        }
        return text
    }
}
