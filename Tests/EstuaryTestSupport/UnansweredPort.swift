import Foundation

/// A port on 127.0.0.1 where a new connection never completes, for connect timeouts in tests.
///
/// A listener that never accepts, whose queue of one is filled by a connection of its own: the
/// kernel then drops every SYN that arrives, so a client waits in its connect until its timeout,
/// as it does for a host that does not answer.
public final class UnansweredPort: @unchecked Sendable {
    public let port: Int
    private let listener: Int32
    private let filler: Int32

    public init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        // The one connection the queue holds (a backlog of 0 still queues one).
        let filled =
            filler >= 0
            && withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, length) == 0 }
            }
        guard listening, filled else {
            let code = errno
            close(listener)
            if filler >= 0 { close(filler) }
            throw POSIXError(.init(rawValue: code) ?? .EIO)
        }
        self.listener = listener
        self.filler = filler
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(filler)
        close(listener)
    }
}
