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
    let completion: @Sendable (FetchResult) -> Void
    /// When the request began: this transfer's start, or the first hop's when the engine follows redirects.
    let started: ContinuousClock.Instant
    /// The host group this transfer counts against (engine thread only).
    var group: String?

    private let settings: FetchSettings
    private var headers: UnsafeMutablePointer<curl_slist>?
    private var resolve: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private(set) var body: [UInt8] = []
    private var headerBytes = 0
    /// Every response of the redirect chain: its status and Location, in order.
    private var hops: [(status: Int, location: String?)] = []
    /// The requests sent and connections made by this handle when its last response began:
    /// libcurl counts both over the whole chain of redirects it follows, so a hop's own are the
    /// difference (for ``timeoutStage()``).
    private var countsAtLastResponse = TransferCounts()
    /// Set when a limit stopped the transfer, to explain the write error that follows.
    private(set) var stoppedBecause: String?
    /// Set when the address guard refused the connection.
    private(set) var guardRefused = false

    /// The redirects followed before this transfer, when the engine follows them (nil: libcurl does).
    private let chain: RedirectChain?

    init?(
        request: FetchRequest, settings: FetchSettings, chain: RedirectChain? = nil,
        completion: @escaping @Sendable (FetchResult) -> Void
    ) {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        self.request = request
        self.settings = settings
        self.chain = chain
        started = chain?.started ?? .now
        hops = chain?.hops ?? []
        self.completion = completion
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headers)
        curl_slist_free_all(resolve)
        errorBuffer.deallocate()
    }

    /// Sets every option; returns the first failure as a message.
    func configure() -> String? {
        // The engine has checked that the config names this file (``FetchRequest/readsFile``).
        let isFile = request.url.isFileURL && request.readsFile
        var failures: [String] = []
        func check(_ code: CURLcode, _ what: String) {
            if code != CURLE_OK { failures.append("\(what): \(Curl.describe(code))") }
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        check(estuary_easy_setopt_string(handle, CURLOPT_URL, request.url.absoluteString), "URL")
        // file: only where the operator wrote a file URL; a redirect can never reach one.
        check(estuary_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, isFile ? "file" : "http,https"), "protocols")
        check(estuary_easy_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"), "redirect protocols")
        // libcurl sends a request's extra headers to every host a redirect leads to: for a request
        // with some, the engine follows redirects itself (``nextHop(code:)``) and drops them off
        // the source's origin.
        check(estuary_easy_setopt_long(handle, CURLOPT_FOLLOWLOCATION, followsRedirects ? 0 : 1), "follow redirects")
        check(estuary_easy_setopt_long(handle, CURLOPT_MAXREDIRS, settings.maxRedirects), "redirect limit")
        // In milliseconds, at least 1: "500ms" must not become 0, which libcurl reads as no limit.
        check(
            estuary_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, max(1, Curl.milliseconds(settings.connectTimeout))),
            "connect timeout")
        // A chain's hops share one time budget.
        let remaining = settings.totalTimeout - (ContinuousClock.now - started)
        check(estuary_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, max(1, Curl.milliseconds(remaining))), "timeout")
        check(estuary_easy_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, settings.lowSpeedBytesPerSecond), "low speed limit")
        check(estuary_easy_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, settings.lowSpeedSeconds), "low speed time")
        check(estuary_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "no signals")
        // "" asks for every coding this libcurl was built with (gzip, deflate, br, zstd here).
        check(estuary_easy_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, ""), "accept encoding")
        check(estuary_easy_setopt_string(handle, CURLOPT_USERAGENT, settings.userAgent), "user agent")
        if !settings.allowPrivateAddresses {
            check(estuary_easy_setopt_opensocket(handle, EasyTransfer.onOpenSocket), "address guard")
            check(estuary_easy_setopt_pointer(handle, CURLOPT_OPENSOCKETDATA, me), "address guard data")
        }
        for entry in settings.resolve { resolve = curl_slist_append(resolve, entry) }
        if resolve != nil { check(estuary_easy_setopt_slist(handle, CURLOPT_RESOLVE, resolve), "resolve") }
        check(estuary_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
        check(estuary_easy_setopt_write_function(handle, CURLOPT_WRITEFUNCTION, EasyTransfer.onBody), "write callback")
        check(estuary_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, me), "write data")
        check(estuary_easy_setopt_write_function(handle, CURLOPT_HEADERFUNCTION, EasyTransfer.onHeader), "header callback")
        check(estuary_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, me), "header data")
        // HTTP/2 is agreed on in the TLS handshake: an https transfer waits to share the connection
        // under way to its host rather than open another. A cleartext connection is HTTP/1.1, and
        // waiting for it would hold the transfer until the one ahead had its answer (a stalled
        // server: that one's whole time budget).
        if request.url.scheme?.lowercased() == "https" {
            check(estuary_easy_setopt_long(handle, CURLOPT_PIPEWAIT, 1), "HTTP/2 multiplexing")
        }
        headers = curl_slist_append(
            headers,
            "Accept: application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
        )
        for header in request.headers { headers = curl_slist_append(headers, "\(header.name): \(header.value)") }
        if let username = request.username {
            // Basic is libcurl's default scheme; the password never reaches a log line.
            check(estuary_easy_setopt_string(handle, CURLOPT_USERNAME, username), "user name")
            check(estuary_easy_setopt_string(handle, CURLOPT_PASSWORD, request.password?.value ?? ""), "password")
        }
        if !request.verifyTLS {
            check(estuary_easy_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0), "TLS peer")
            check(estuary_easy_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0), "TLS host")
        }
        // Instead of the system's authorities, for this source's server (and the hops of its
        // redirects). libcurl keeps its built-in CA directory (/etc/ssl/certs on Debian) beside
        // CURLOPT_CAINFO: unset, or every authority in it would still vouch for the server. No CA
        // cache either: the file is read at each new connection, as before, so a renewed one counts.
        if let caFile = request.caFile {
            check(estuary_easy_setopt_string(handle, CURLOPT_CAINFO, caFile), "CA file")
            check(estuary_easy_setopt_string(handle, CURLOPT_CAPATH, nil), "CA directory")
            check(estuary_easy_setopt_long(handle, CURLOPT_CA_CACHE_TIMEOUT, 0), "CA cache")
        }
        if let etag = request.validators.etag { headers = curl_slist_append(headers, "If-None-Match: \(etag)") }
        if let modified = request.validators.lastModified {
            headers = curl_slist_append(headers, "If-Modified-Since: \(modified)")
        }
        check(estuary_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headers), "request headers")
        check(estuary_easy_setopt_long(handle, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1), "proxy headers")
        return failures.first
    }

    /// Turns libcurl's verdict into the fetch result.
    func result(code: CURLcode) -> FetchResult {
        let elapsed = ContinuousClock.now - started
        var status = 0
        _ = estuary_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        guard code == CURLE_OK else {
            var message = stoppedBecause ?? Curl.describe(code)
            let detail = String(cString: errorBuffer)
            if stoppedBecause == nil, !detail.isEmpty, detail != message { message += ": " + detail }
            if code == CURLE_PEER_FAILED_VERIFICATION {
                message +=
                    request.caFile.map { " (the certificate is not signed by an authority in \($0))" }
                    ?? " (the server's certificate is not trusted: have it fixed, or name its authority with ca_file)"
            }
            return .failure(
                FetchFailure(status: status == 0 ? nil : status, stage: stage(of: code), message: message, elapsed: elapsed))
        }
        if request.url.isFileURL { status = 200 }
        let validators = Validators(etag: header("ETag"), lastModified: header("Last-Modified"))
        let lifetime = HTTPDate.cacheLifetime(
            cacheControl: header("Cache-Control"), expires: header("Expires"), date: header("Date"))
        if status == 304 {
            return .notModified(
                NotModified(
                    validators: validators, permanentTarget: permanentTarget(), elapsed: elapsed, cacheLifetime: lifetime))
        }
        guard (200..<300).contains(status) else {
            var retryAfter: RetryAfter? = nil
            if status == 429 || status == 503 { retryAfter = header("Retry-After").flatMap { HTTPDate.retryAfter($0) } }
            return .failure(
                FetchFailure(
                    status: status, stage: "http", message: HTTPStatus.describe(status), elapsed: elapsed, retryAfter: retryAfter)
            )
        }
        let effective = effectiveURL ?? request.url
        var typePointer: UnsafeMutablePointer<CChar>? = nil
        _ = estuary_easy_getinfo_string(handle, CURLINFO_CONTENT_TYPE, &typePointer)
        return .body(
            FetchedBody(
                status: status, body: body, effectiveURL: effective,
                contentType: typePointer.map { String(cString: $0) }, elapsed: elapsed,
                contentLocation: header("Content-Location"), validators: validators, permanentTarget: permanentTarget(),
                cacheLifetime: lifetime))
    }

    /// Whether the engine, not libcurl, follows this request's redirects: for a request with extra
    /// headers, and for every later hop of a chain it began (so the redirect limit counts the
    /// whole chain, and the source's headers and password go again to a hop back on its origin).
    var followsRedirects: Bool { chain != nil || !request.headers.isEmpty }

    /// What follows a response when the engine follows redirects: the next hop's request, or the
    /// failure that ends the chain; nil when this response is the answer.
    enum NextHop {
        case follow(FetchRequest, RedirectChain)
        case stop(FetchFailure)
    }

    func nextHop(code: CURLcode) -> NextHop? {
        guard followsRedirects, code == CURLE_OK, let hop = hops.last, [301, 302, 303, 307, 308].contains(hop.status),
            let location = hop.location, !location.isEmpty
        else { return nil }
        let elapsed = ContinuousClock.now - started
        let origin = chain?.origin ?? request
        guard let target = URL(string: location, relativeTo: request.url)?.absoluteURL,
            let scheme = target.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else {
            return .stop(
                FetchFailure(
                    status: hop.status, stage: "http", message: "a redirect to \(location), not an http or https URL; refused",
                    elapsed: elapsed))
        }
        guard hops.count <= settings.maxRedirects else {
            return .stop(
                FetchFailure(
                    status: hop.status, stage: "http", message: "Maximum (\(settings.maxRedirects)) redirects followed",
                    elapsed: elapsed))
        }
        // As libcurl does with credentials: the source's headers and password go to its own origin only.
        var next = FetchRequest(sourceID: request.sourceID, url: target, validators: request.validators)
        next.verifyTLS = origin.verifyTLS
        next.caFile = origin.caFile
        if FetchRequest.origin(of: target) == FetchRequest.origin(of: origin.url) {
            next.headers = origin.headers
            next.username = origin.username
            next.password = origin.password
        }
        return .follow(next, RedirectChain(origin: origin, hops: hops, started: started))
    }

    /// Where the chain's leading permanent redirects (301, 308) point, nil when it does not start with one.
    private func permanentTarget() -> URL? {
        var url = chain?.origin.url ?? request.url
        var moved = false
        for hop in hops.dropLast() {
            guard hop.status == 301 || hop.status == 308, let location = hop.location,
                let next = URL(string: location, relativeTo: url)?.absoluteURL
            else { break }
            url = next
            moved = true
        }
        return moved ? url : nil
    }

    /// Records the status line and Location of each response in the redirect chain. On the bytes:
    /// most lines are neither, and a String per header line was a measurable share of a revalidation.
    fileprivate func noteHeaderLine(_ line: UnsafeBufferPointer<UInt8>) {
        if Self.hasPrefix(line, "HTTP/", caseInsensitive: false) {
            let text = String(decoding: line, as: UTF8.self)
            let parts = text.split(separator: " ", maxSplits: 2)
            if parts.count >= 2, let code = Int(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) {
                hops.append((code, nil))
                countsAtLastResponse = counts
            }
        } else if line.count > 9, Self.hasPrefix(line, "location:", caseInsensitive: true), !hops.isEmpty {
            hops[hops.count - 1].location = String(decoding: UnsafeBufferPointer(rebasing: line[9...]), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Whether `line` starts with the ASCII `prefix` (given in lower case when `caseInsensitive`).
    private static func hasPrefix(_ line: UnsafeBufferPointer<UInt8>, _ prefix: StaticString, caseInsensitive: Bool)
        -> Bool
    {
        prefix.withUTF8Buffer { expected in
            guard line.count >= expected.count else { return false }
            for (index, byte) in expected.enumerated() {
                if (caseInsensitive ? line[index].asciiLowercased : line[index]) != byte { return false }
            }
            return true
        }
    }

    /// The stage a libcurl error belongs to, for the report and the operator.
    private func stage(of code: CURLcode) -> String {
        if guardRefused { return "guard" }
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return "dns"
        case CURLE_COULDNT_CONNECT: return "connect"
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR:
            return "tls"
        case CURLE_FILE_COULDNT_READ_FILE: return "read"
        case CURLE_OPERATION_TIMEDOUT: return timeoutStage()
        case CURLE_WRITE_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_BAD_CONTENT_ENCODING: return "body"
        default: return "http"
        }
    }

    /// Where the last hop of the chain was when time ran out. libcurl's timings do not tell: they
    /// add up over the redirects it follows, and on 7.88 the connect time is set only once TLS is
    /// done. What this hop did is told by the counts since the previous response began.
    private func timeoutStage() -> String {
        var followed = 0
        _ = estuary_easy_getinfo_long(handle, CURLINFO_REDIRECT_COUNT, &followed)
        let responses = hops.count - (chain?.hops.count ?? 0)
        let now = counts
        // The hop's answer had begun, or its request was sent (maybe over a kept connection): the
        // server was too slow to answer.
        if responses > followed || now.requestBytes > countsAtLastResponse.requestBytes { return "body" }
        // Connected, no request sent yet: an https hop was in its TLS handshake (plain http sends
        // its request as soon as it connects).
        if now.connections > countsAtLastResponse.connections, effectiveURL?.scheme?.lowercased() == "https" {
            return "tls"
        }
        return "connect"
    }

    /// What libcurl has counted so far on this handle.
    private var counts: TransferCounts {
        var counts = TransferCounts()
        _ = estuary_easy_getinfo_long(handle, CURLINFO_REQUEST_SIZE, &counts.requestBytes)
        _ = estuary_easy_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &counts.connections)
        return counts
    }

    /// The URL of the last hop libcurl went to, nil when it has none.
    private var effectiveURL: URL? {
        var pointer: UnsafeMutablePointer<CChar>? = nil
        _ = estuary_easy_getinfo_string(handle, CURLINFO_EFFECTIVE_URL, &pointer)
        return pointer.flatMap { URL(string: String(cString: $0)) }
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
        guard transfer.body.count + bytes <= transfer.settings.maxBodyBytes else {
            transfer.stoppedBecause =
                "the body is larger than \(ByteCount.describe(transfer.settings.maxBodyBytes)) (after decompression); stopped"
            return 0
        }
        data.withMemoryRebound(to: UInt8.self, capacity: bytes) {
            transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: bytes))
        }
        return bytes
    }

    /// The address guard: refuses private and special addresses before a socket exists.
    private static let onOpenSocket: curl_opensocket_callback = { context, _, address in
        guard let context, let address else { return CURL_SOCKET_BAD }
        let transfer = Unmanaged<EasyTransfer>.fromOpaque(context).takeUnretainedValue()
        let (refused, port) = withUnsafePointer(to: &address.pointee.addr) { (AddressGuard.refusal($0), AddressGuard.port($0)) }
        if let refused, !AddressGuard.proxyEndpoints.contains(AddressGuard.Endpoint(ip: refused.ip, port: port)) {
            transfer.guardRefused = true
            transfer.stoppedBecause =
                "address guard: refused to connect to \(refused.ip), a \(refused.kind) address; "
                + "set [fetch] allow_private_addresses = true to fetch feeds on your own network"
            return CURL_SOCKET_BAD
        }
        return socket(address.pointee.family, address.pointee.socktype, address.pointee.protocol)
    }

    private static let onHeader: estuary_write_callback = { data, size, count, context in
        guard let context else { return 0 }
        let transfer = Unmanaged<EasyTransfer>.fromOpaque(context).takeUnretainedValue()
        let bytes = size * count
        transfer.headerBytes += bytes
        data.withMemoryRebound(to: UInt8.self, capacity: bytes) {
            transfer.noteHeaderLine(UnsafeBufferPointer(start: $0, count: bytes))
        }
        guard transfer.headerBytes <= transfer.settings.maxHeaderBytes else {
            transfer.stoppedBecause =
                "the response headers are larger than \(ByteCount.describe(transfer.settings.maxHeaderBytes)); stopped"
            return 0
        }
        return bytes
    }
}

/// Request bytes sent and connections made by one easy handle (libcurl's CURLINFO_REQUEST_SIZE
/// and CURLINFO_NUM_CONNECTS, both over the redirects it follows).
private struct TransferCounts {
    var requestBytes = 0
    var connections = 0
}

/// The redirects of one request followed so far by the engine: the request as the source made it,
/// every response of the chain (status and Location), and when its first hop began.
struct RedirectChain: Sendable {
    let origin: FetchRequest
    let hops: [(status: Int, location: String?)]
    let started: ContinuousClock.Instant
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
