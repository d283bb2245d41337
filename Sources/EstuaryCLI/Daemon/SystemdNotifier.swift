import Foundation

/// Tells systemd how the service is doing (sd_notify's protocol: datagrams to `$NOTIFY_SOCKET`).
///
/// A no-op when not started by systemd with `Type=notify`. Path sockets and
/// abstract sockets (`@name`) are both supported.
final class SystemdNotifier: @unchecked Sendable {
    private let address: sockaddr_un?
    private let length: socklen_t
    private let fd: Int32
    private let lock = NSLock()

    /// Half of `$WATCHDOG_USEC`, when systemd watches the service.
    let watchdogInterval: Duration?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int.init), usec > 0 {
            watchdogInterval = .microseconds(usec / 2)
        } else {
            watchdogInterval = nil
        }
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.utf8.count < 108 else {
            (address, length, fd) = (nil, 0, -1)
            return
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (i, byte) in bytes.enumerated() { buffer[i] = byte }
        }
        self.address = address
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Sends `READY=1`, `STATUS=...`, `WATCHDOG=1`, `STOPPING=1`, ... (one state per line).
    func notify(_ state: String) {
        guard var address, fd >= 0 else { return }
        let message = Array(state.utf8)
        lock.withLock {
            _ = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length) }
                }
            }
        }
    }
}
