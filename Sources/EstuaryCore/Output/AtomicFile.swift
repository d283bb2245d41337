import Foundation

/// Replaces a file so that a crash at any instant leaves the old or the new version.
///
/// The bytes go to a temporary file in the same folder, are flushed with
/// fsync, and the temporary file is renamed over the target; the folder is
/// then synced so the rename itself is durable.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public var path: String
        public var operation: String
        public var reason: String

        init(path: String, operation: String, errno code: Int32) {
            self.path = path
            self.operation = operation
            self.reason = String(cString: strerror(code))
        }

        init(path: String, operation: String, reason: String) {
            self.path = path
            self.operation = operation
            self.reason = reason
        }

        public var description: String { "cannot \(operation) \(path): \(reason)" }
    }

    public static func write(_ bytes: [UInt8], to path: String, permissions: mode_t = 0o644) throws(WriteError) {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var template = Array("\(folder.isEmpty ? "." : folder)/.\(name).XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw WriteError(path: folder, operation: "create a temporary file in", errno: errno) }
        let tempPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var renamed = false
        defer {
            if !renamed { unlink(tempPath) }
        }
        do {
            defer { close(fd) }
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { buffer in
                    Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw WriteError(path: tempPath, operation: "write", errno: errno)
                }
                offset += n
            }
            guard fchmod(fd, permissions) == 0 else { throw WriteError(path: tempPath, operation: "chmod", errno: errno) }
            guard fsync(fd) == 0 else { throw WriteError(path: tempPath, operation: "fsync", errno: errno) }
        }
        guard rename(tempPath, path) == 0 else {
            throw WriteError(path: path, operation: "rename a temporary file to", errno: errno)
        }
        renamed = true
        syncFolder(folder.isEmpty ? "." : folder)
    }

    /// Makes a rename durable. Best effort: some file systems refuse fsync on a folder.
    private static func syncFolder(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// Creates `path` and its parents when missing.
    /// Removes the temporary files a process killed in the middle of ``write(_:to:permissions:)``
    /// left beside `names` in `folder` (`.<name>.XXXXXX`). Only one estuary writes a state's
    /// outputs at a time (the state lock), so any such file is a leftover.
    public static func removeLeftovers(of names: [String], in folder: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for entry in entries {
            for name in names where entry.count == name.count + 8 && entry.hasPrefix(".\(name).") {
                try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(entry))
            }
        }
    }

    /// Creates `path` when missing; with `permissions`, a folder it creates gets exactly them (not
    /// what the umask leaves), and an existing one is left as it is.
    public static func ensureFolder(_ path: String, permissions: mode_t? = nil) throws(WriteError) {
        let existed = FileManager.default.fileExists(atPath: path)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw WriteError(path: path, operation: "create the folder", reason: error.localizedDescription)
        }
        if let permissions, !existed, chmod(path, permissions) != 0 {
            throw WriteError(path: path, operation: "set the permissions of", errno: errno)
        }
    }
}
