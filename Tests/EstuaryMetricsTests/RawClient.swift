import EstuaryCore
import Foundation
import Testing

@testable import EstuaryMetrics

/// A blocking TCP client speaking bytes, so tests can send what no HTTP library would
/// (nothing at all, half a request, an oversized head).
final class RawClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let fd: Int32

    /// Connects to `host` (an IPv4 or IPv6 literal) on `port`; reads give up after `timeout`.
    init(host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(10)) throws {
        let address = try #require(ListenAddress(parsing: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"))
        fd = socket(address.family == .ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        let (storage, length) = try #require(Socket.socketAddress(address))
        let connected = withUnsafePointer(to: storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        // No close here: a class whose properties are all set runs deinit when its init throws,
        // and a second close could hit a descriptor another test has opened since.
        guard connected == 0 else { throw Failure(description: "connect: \(String(cString: strerror(errno)))") }
        Socket.setTimeout(fd, SO_RCVTIMEO, timeout)
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
    }

    /// Everything the server sends until it closes; an error when the read timeout passes first.
    func readToEnd() throws -> String {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return String(decoding: result, as: UTF8.self) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "read: \(String(cString: strerror(errno))) after \(result.count) bytes")
            }
            result += chunk[0..<n]
        }
    }

    /// Sends `request` and returns the answer, split into its status, headers (names lowercased) and body.
    static func exchange(port: Int, host: String = "127.0.0.1", _ request: String) throws -> Answer {
        let client = try RawClient(host: host, port: port)
        try client.send(request)
        return try Answer(client.readToEnd())
    }

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: String

        init(_ text: String) throws {
            guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no end of head in: \(text)") }
            let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
            let statusLine = lines[0].split(separator: " ")
            guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
                throw Failure(description: "bad status line: \(lines[0])")
            }
            self.status = status
            headers = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { throw Failure(description: "bad header: \(line)") }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            body = String(text[split.upperBound...])
        }
    }
}
