import Foundation

/// A real HTTP/1.1 server on 127.0.0.1, on a port the kernel picks, for tests.
///
/// Small on purpose: one thread accepts, one thread per connection reads
/// requests (keep-alive honoured) and writes what the handler returns. No
/// mocks: libcurl talks to it over a real socket.
public final class TestHTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        /// Header names lowercased.
        public var headers: [String: String]
        /// When the request head was read.
        public var receivedAt: Date
        /// Which connection it came on: 1 for the first the server accepted, 2 for the next, ...
        public var connection: Int
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        /// Sent before the body in pieces, sleeping between them (slow servers).
        public var chunkDelay: Duration?
        /// Sent with Transfer-Encoding: chunked, no Content-Length: the size is unknown until the end.
        public var chunked = false

        public init(
            status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = [], chunkDelay: Duration? = nil,
            chunked: Bool = false
        ) {
            self.status = status
            self.headers = headers
            self.body = body
            self.chunkDelay = chunkDelay
            self.chunked = chunked
        }

        public init(status: Int = 200, contentType: String, body: String) {
            self.init(status: status, headers: [("Content-Type", contentType)], body: Array(body.utf8))
        }
    }

    public typealias Handler = @Sendable (Request) -> Response

    public let port: Int
    private let listener: Int32
    private let handler: Handler
    private let lock = NSLock()
    private var _requests: [Request] = []
    private var stopped = false

    /// Every request received so far, in order.
    public var requests: [Request] { lock.withLock { _requests } }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public init(handler: @escaping Handler) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            close(fd)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// A server answering from a table of paths; anything else is 404.
    public convenience init(routes: [String: Response]) throws {
        try self.init { request in
            routes[request.path] ?? Response(status: 404, contentType: "text/plain", body: "not found\n")
        }
    }

    deinit { stop() }

    /// Stops accepting connections. Idempotent: a second close of the same descriptor
    /// number could close a socket another test has opened since.
    public func stop() {
        let fd: Int32? = lock.withLock {
            guard !stopped else { return nil }
            stopped = true
            return listener
        }
        guard let fd else { return }
        // Wakes the accept loop, which closes the descriptor itself: closing it here
        // could let the number be reused while that thread still calls accept on it.
        shutdown(fd, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        defer { close(listener) }
        var accepted = 0
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            var yes: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            accepted += 1
            let connection = accepted
            Thread { [self] in serve(client, connection: connection) }.start()
        }
    }

    private func serve(_ fd: Int32, connection: Int) {
        defer { close(fd) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            // Read until the end of the request head.
            var headEnd: Int? = nil
            while headEnd == nil {
                headEnd = Self.find([13, 10, 13, 10], in: buffer)
                if headEnd != nil { break }
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { return }
                buffer.append(contentsOf: chunk[0..<n])
            }
            let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
            buffer.removeFirst(headEnd! + 4)
            let lines = head.components(separatedBy: "\r\n")
            let parts = lines[0].split(separator: " ")
            guard parts.count >= 2 else { return }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            // Requests with a body are not expected; skip one if announced.
            if let length = headers["content-length"].flatMap(Int.init), length > 0 {
                while buffer.count < length {
                    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n <= 0 { return }
                    buffer.append(contentsOf: chunk[0..<n])
                }
                buffer.removeFirst(length)
            }
            let request = Request(
                method: String(parts[0]), path: String(parts[1]), headers: headers, receivedAt: Date(), connection: connection)
            lock.withLock { _requests.append(request) }
            let response = handler(request)
            let keepAlive = headers["connection"]?.lowercased() != "close"
            guard send(response, to: fd, keepAlive: keepAlive), keepAlive else { return }
        }
    }

    private func send(_ response: Response, to fd: Int32, keepAlive: Bool) -> Bool {
        var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += response.chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: \(response.body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        guard writeAll(Array(head.utf8), to: fd) else { return false }
        if response.chunked {
            for start in stride(from: 0, to: response.body.count, by: 16 * 1024) {
                let piece = Array(response.body[start..<min(start + 16 * 1024, response.body.count)])
                guard writeAll(Array("\(String(piece.count, radix: 16))\r\n".utf8) + piece + [13, 10], to: fd) else {
                    return false
                }
            }
            return writeAll(Array("0\r\n\r\n".utf8), to: fd)
        }
        guard let delay = response.chunkDelay else { return writeAll(response.body, to: fd) }
        for piece in stride(from: 0, to: response.body.count, by: 64) {
            guard writeAll(Array(response.body[piece..<min(piece + 64, response.body.count)]), to: fd) else { return false }
            Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
        }
        return true
    }

    private func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Foundation.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<i + needle.count]) == needle { return i }
        }
        return nil
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 404: "Not Found"
        case 410: "Gone"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
