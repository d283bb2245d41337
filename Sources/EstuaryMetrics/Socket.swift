import EstuaryCore
import Foundation

/// The POSIX socket calls the metrics listener needs, with errors turned into values where they happen.
enum Socket {
    /// A listening TCP socket on `address`, non-blocking, and the address it is bound to.
    static func listening(on address: ListenAddress) throws(MetricsListener.StartError) -> (fd: Int32, bound: ListenAddress) {
        func failure(_ what: String? = nil) -> MetricsListener.StartError {
            let reason = String(cString: strerror(errno))
            return MetricsListener.StartError(address: address, reason: what.map { "\($0): \(reason)" } ?? reason)
        }
        let domain = address.family == .ipv6 ? AF_INET6 : AF_INET
        let fd = socket(domain, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw failure("cannot create a socket") }
        var yes: Int32 = 1
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            let error = failure("cannot set SO_REUSEADDR")
            close(fd)
            throw error
        }
        guard let resolved = socketAddress(address) else {
            close(fd)
            throw MetricsListener.StartError(address: address, reason: "\(address.host) is not an IP address")
        }
        let (storage, length) = resolved
        let bound = withUnsafePointer(to: storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let error = failure()
            close(fd)
            throw error
        }
        var actual = sockaddr_storage()
        var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
        }
        guard named == 0 else {
            let error = failure("cannot read the bound port")
            close(fd)
            throw error
        }
        let port = withUnsafeBytes(of: &actual) { raw in
            address.family == .ipv6
                ? raw.load(as: sockaddr_in6.self).sin6_port
                : raw.load(as: sockaddr_in.self).sin_port
        }
        var result = address
        result.port = Int(UInt16(bigEndian: port))
        return (fd, result)
    }

    /// The C socket address of `address`, and its length: getaddrinfo with numeric host and
    /// port only, so nothing is resolved and both families take one path.
    static func socketAddress(_ address: ListenAddress) -> (sockaddr_storage, socklen_t)? {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_family = address.family == .ipv6 ? AF_INET6 : AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(address.host, "\(address.port)", &hints, &found) == 0, found != nil else { return nil }
        defer { freeaddrinfo(found) }
        var storage = sockaddr_storage()
        let length = found!.pointee.ai_addrlen
        withUnsafeMutableBytes(of: &storage) {
            $0.copyMemory(from: UnsafeRawBufferPointer(start: found!.pointee.ai_addr, count: Int(length)))
        }
        return (storage, length)
    }

    /// Sets close-on-exec (no child process inherits the socket) and O_NONBLOCK on or off.
    static func setFlags(_ fd: Int32, nonBlocking: Bool) {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
    }

    /// Sets SO_RCVTIMEO or SO_SNDTIMEO.
    static func setTimeout(_ fd: Int32, _ option: Int32, _ duration: Duration) {
        let parts = duration.components
        var time = timeval(tv_sec: Int(parts.seconds), tv_usec: Int(parts.attoseconds / 1_000_000_000_000))
        _ = setsockopt(fd, SOL_SOCKET, option, &time, socklen_t(MemoryLayout<timeval>.size))
    }
}
