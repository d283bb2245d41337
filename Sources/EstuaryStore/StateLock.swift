import Foundation

/// One writer per state folder: an exclusive flock on `state_dir/estuary.lock`.
///
/// The kernel drops the lock when the process dies, even by SIGKILL, so a
/// crash never leaves a stale lock behind. Read-only commands do not take it.
public final class StateLock: Sendable {
    public struct Busy: Error, CustomStringConvertible {
        public var directory: String
        public var pid: Int32?
        public var description: String {
            "another estuary process\(pid.map { " (pid \($0))" } ?? "") is using \(directory)"
        }
    }

    private let fd: Int32
    private let path: String

    /// Whether the lock file this process holds is still the one at the state folder's path: false
    /// once the folder was removed or replaced (another process could then start a second state).
    public var isStillHeld: Bool {
        var held = stat()
        var current = stat()
        guard fstat(fd, &held) == 0, stat(path, &current) == 0 else { return false }
        return held.st_dev == current.st_dev && held.st_ino == current.st_ino
    }

    /// Takes the lock or throws ``Busy`` at once; never waits.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("estuary.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            // The holder wrote its pid into the file; read it for the message.
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let pid =
                n > 0
                ? Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) : nil
            throw Busy(directory: directory, pid: pid)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        self.fd = fd
        self.path = path
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
