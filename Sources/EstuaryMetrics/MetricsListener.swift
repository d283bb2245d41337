import EstuaryCore
import Foundation
import Logging

/// A small HTTP/1.1 server answering `GET /metrics` in the Prometheus text format 0.0.4.
///
/// One thread of its own (not Swift's cooperative pool) accepts and serves every connection
/// with `poll`, so a slow or silent client never holds up another: each connection has
/// `requestTimeout` in all to send its request head (at most ``maxHeadBytes``), then gets
/// its answer and `Connection: close`. At most ``maxConnections`` are open at once: a new one
/// then ends the oldest, so idle connections cannot keep a scraper out. Out of file descriptors,
/// it stops accepting for a second rather than spin. It serves until ``stop()``.
public final class MetricsListener: @unchecked Sendable {
    /// Why the listener could not start.
    public struct StartError: Error, CustomStringConvertible {
        public var address: ListenAddress
        public var reason: String

        public var description: String { "metrics: cannot listen on \(address): \(reason) (change [metrics] listen)" }
    }

    public static let maxHeadBytes = 8 * 1024
    public static let maxConnections = 32
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The address as bound: when the configured port was 0, the one the kernel picked.
    public let address: ListenAddress
    /// The port listened on.
    public var port: Int { address.port }

    private let listener: Int32
    /// `stop()` writes to one end; the serving thread polls the other and exits.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let render: @Sendable () -> String
    private let requestTimeout: Duration
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopped = false
    private let logger = Logger(label: "estuary.metrics")

    /// Binds `address` and starts serving `metrics` at once.
    public convenience init(address: ListenAddress, metrics: Metrics, requestTimeout: Duration = .seconds(5)) throws(StartError) {
        try self.init(address: address, requestTimeout: requestTimeout) { metrics.render() }
    }

    /// Binds `address` and starts serving what `render` returns at `/metrics`.
    public init(address: ListenAddress, requestTimeout: Duration = .seconds(5), render: @escaping @Sendable () -> String)
        throws(StartError)
    {
        self.render = render
        self.requestTimeout = requestTimeout
        let socket = try Socket.listening(on: address)
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            let reason = String(cString: strerror(errno))
            close(socket.fd)
            throw StartError(address: address, reason: "cannot create a pipe: \(reason)")
        }
        listener = socket.fd
        self.address = socket.bound
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        Socket.setFlags(wakeRead, nonBlocking: true)
        Socket.setFlags(wakeWrite, nonBlocking: true)
        let thread = Thread { [self] in
            serve()
            finished.signal()
        }
        thread.name = "estuary-metrics"
        thread.start()
    }

    /// Closes the socket and waits for the serving thread to end. Idempotent.
    public func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        finished.wait()
        // Closed only now: were the read end closed first (serve() ending on an error), the
        // write above would raise SIGPIPE.
        close(wakeRead)
        close(wakeWrite)
    }

    // MARK: The serving thread

    private final class Connection {
        let fd: Int32
        let deadline: ContinuousClock.Instant
        var head: [UInt8] = []
        /// Where the search for the head's end resumes: the bytes before it cannot start the blank line.
        var scanned = 0

        init(fd: Int32, deadline: ContinuousClock.Instant) {
            self.fd = fd
            self.deadline = deadline
        }
    }

    private func serve() {
        var connections: [Connection] = []
        defer {
            for connection in connections { close(connection.fd) }
            close(listener)
        }
        // Set when accept failed (out of file descriptors): the listener is not polled before then,
        // since it stays readable and poll would return at once, over and over.
        var acceptPausedUntil: ContinuousClock.Instant?
        while true {
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            let now = ContinuousClock.now
            if let paused = acceptPausedUntil, now >= paused { acceptPausedUntil = nil }
            let accepting = acceptPausedUntil == nil
            if accepting { fds.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
            let first = fds.count
            fds += connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let wakeAt = (connections.map(\.deadline) + [acceptPausedUntil].compactMap { $0 }).min()
            let timeout = wakeAt.map { Self.milliseconds(until: $0, from: now) } ?? -1
            guard poll(&fds, nfds_t(fds.count), timeout) >= 0 || errno == EINTR else {
                logger.error("metrics: the listener stopped: poll failed: \(String(cString: strerror(errno)))")
                return
            }
            if fds[0].revents != 0 { return }

            var open: [Connection] = []
            for (index, connection) in connections.enumerated() {
                let events = fds[first + index].revents
                if events != 0, !read(connection) { continue }
                if ContinuousClock.now >= connection.deadline {
                    respond(connection.fd, Response(status: 408, reason: "Request Timeout", text: "request timed out\n"))
                    continue
                }
                open.append(connection)
            }
            connections = open
            if accepting, fds[1].revents != 0 {
                let (accepted, acceptFailed) = acceptPending(limit: Self.maxConnections)
                // Full: the newest stay, the oldest (silent the longest) make room.
                let excess = connections.count + accepted.count - Self.maxConnections
                if excess > 0 {
                    for connection in connections.prefix(excess) { close(connection.fd) }
                    connections.removeFirst(min(excess, connections.count))
                }
                connections += accepted
                if acceptFailed { acceptPausedUntil = .now + .seconds(1) }
            }
        }
    }

    /// Takes the connections waiting in the backlog, up to `limit`; also says whether accept failed
    /// (out of file descriptors, most likely; those waiting stay in the backlog).
    private func acceptPending(limit: Int) -> (accepted: [Connection], failed: Bool) {
        var accepted: [Connection] = []
        while accepted.count < limit {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                // EAGAIN: none left. Anything else (no descriptors left, no memory, EPROTO, EPERM)
                // would be met again at once: pause rather than spin.
                return (accepted, errno != EAGAIN && errno != EWOULDBLOCK)
            }
            Socket.setFlags(fd, nonBlocking: true)
            accepted.append(Connection(fd: fd, deadline: .now + requestTimeout))
        }
        return (accepted, false)
    }

    /// Reads what arrived; answers and closes once the head is complete. False when the connection is done.
    private func read(_ connection: Connection) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = chunk.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
        if n < 0, errno == EAGAIN || errno == EINTR { return true }
        guard n > 0 else {
            close(connection.fd)
            return false
        }
        connection.head += chunk[0..<n]
        let end = Self.headEnd(connection.head, from: connection.scanned)
        connection.scanned = max(0, connection.head.count - 3)
        if let end, end <= Self.maxHeadBytes {
            respond(connection.fd, answer(Array(connection.head[0..<end])))
            return false
        }
        if connection.head.count > Self.maxHeadBytes + 4 || end != nil {
            respond(
                connection.fd,
                Response(
                    status: 431, reason: "Request Header Fields Too Large",
                    text: "the request head is larger than \(Self.maxHeadBytes) bytes\n"))
            return false
        }
        return true
    }

    /// The end of the request line and headers (before the blank line: CRLF CRLF, or LF LF as
    /// some clients send it), searched from `start`; nil while incomplete.
    static func headEnd(_ bytes: [UInt8], from start: Int = 0) -> Int? {
        var i = start
        while i + 1 < bytes.count {
            if bytes[i] == 10 {
                if bytes[i + 1] == 10 { return i }
                if bytes[i + 1] == 13, i + 2 < bytes.count, bytes[i + 2] == 10 { return i > 0 && bytes[i - 1] == 13 ? i - 1 : i }
            }
            i += 1
        }
        return nil
    }

    struct Response {
        var status: Int
        var reason: String
        var headers: [(String, String)] = []
        var body: [UInt8]
        /// HEAD: the headers of the GET answer, no body.
        var omitBody = false

        init(status: Int, reason: String, text: String, contentType: String = "text/plain; charset=utf-8") {
            self.status = status
            self.reason = reason
            self.headers = [("Content-Type", contentType)]
            self.body = Array(text.utf8)
        }
    }

    /// What to answer to a request head.
    func answer(_ head: [UInt8]) -> Response {
        let requestLine = head.prefix { $0 != 13 && $0 != 10 }
        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].starts(with: Array("HTTP/1.".utf8)) else {
            return Response(status: 400, reason: "Bad Request", text: "not an HTTP/1.x request\n")
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var response: Response
        switch path {
        case "/metrics":
            response = Response(status: 200, reason: "OK", text: render(), contentType: Self.contentType)
        case "/":
            response = Response(status: 200, reason: "OK", text: "Estuary \(Estuary.version): metrics are at /metrics\n")
        default:
            return Response(status: 404, reason: "Not Found", text: "not found: metrics are at /metrics\n")
        }
        switch method {
        case "GET": break
        case "HEAD": response.omitBody = true
        default:
            response = Response(status: 405, reason: "Method Not Allowed", text: "only GET and HEAD are allowed\n")
            response.headers.append(("Allow", "GET, HEAD"))
        }
        return response
    }

    /// Writes the response and closes the connection.
    private func respond(_ fd: Int32, _ response: Response) {
        defer { close(fd) }
        var text = "HTTP/1.1 \(response.status) \(response.reason)\r\n"
        for (name, value) in response.headers + [("Content-Length", "\(response.body.count)"), ("Connection", "close")] {
            text += "\(name): \(value)\r\n"
        }
        var bytes = Array((text + "\r\n").utf8)
        if !response.omitBody { bytes += response.body }
        // The answer is a few kilobytes and fits the socket's send buffer; should a client
        // not read it, the send timeout bounds the wait.
        Socket.setFlags(fd, nonBlocking: false)
        Socket.setTimeout(fd, SO_SNDTIMEO, requestTimeout)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
        // Half-close first, so the client reads the whole answer before the connection goes.
        shutdown(fd, Int32(SHUT_WR))
    }

    private static func milliseconds(until deadline: ContinuousClock.Instant, from now: ContinuousClock.Instant) -> Int32 {
        let left = deadline - now
        guard left > .zero else { return 0 }
        let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1
        return Int32(clamping: ms)
    }
}
