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

    /// The lock file cannot be made or opened.
    public struct Unusable: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        /// Permissions, a read-only file system or a file in the folder's place: restarting will
        /// not help, the config or the deployment must change.
        public var isPermanent: Bool
        public var description: String { "cannot lock \(path): \(reason)" }

        init(path: String, errno code: Int32) {
            self.path = path
            reason = String(cString: strerror(code))
            isPermanent = [EACCES, EPERM, EROFS, ENOTDIR, EISDIR, ELOOP, EEXIST].contains(code)
        }
    }

    /// `mkdir -p`: nil when `path` is a folder afterwards, else the errno that stopped it
    /// (EEXIST when a file stands in a folder's place). Foundation's equivalent loses the errno.
    static func makeDirectories(_ path: String) -> Int32? {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            if mkdir(prefix, 0o755) != 0, errno != EEXIST { return errno }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { return errno }
        return info.st_mode & S_IFMT == S_IFDIR ? nil : EEXIST
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
        if let code = Self.makeDirectories(directory) { throw Unusable(path: directory, errno: code) }
        let path = (directory as NSString).appendingPathComponent("estuary.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Unusable(path: path, errno: errno) }
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
