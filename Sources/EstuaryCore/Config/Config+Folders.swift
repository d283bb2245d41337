import Foundation

/// What `estuary check` finds wrong with the folders the config names, looking only: nothing is created.
///
/// Errors are what holds for every user estuary may run as: a file where a folder must be, a
/// read-only file system, a textfile folder that nobody will make. A folder that is not writable
/// by the user running the check is a warning only: `check` is often run by an admin as another
/// user than the service (under systemd a dynamic one), who may well be able to write it.
extension Config {
    /// What ``checkFolders()`` found: errors (the config cannot work as it is) and warnings
    /// (true for the user running the check, perhaps not for the service's).
    public struct FolderReport: Sendable {
        public var errors: [ConfigError] = []
        public var warnings: [ConfigError] = []

        mutating func add(_ found: (problem: ConfigError, isError: Bool)?) {
            guard let found else { return }
            if found.isError { errors.append(found.problem) } else { warnings.append(found.problem) }
        }
    }

    /// Looks at `state_dir`, `output_dir` and the folder of `[metrics] textfile`.
    public func checkFolders() -> FolderReport {
        let locator = (try? String(contentsOfFile: file, encoding: .utf8)).map(TOMLLocator.init(text:))
        func problem(_ header: String, _ key: String) -> (String) -> ConfigError {
            { ConfigError(file: file, line: locator?.line(header: header, key: key), section: "[\(header)]", message: $0) }
        }
        var report = FolderReport()
        report.add(Self.folderProblem(key: "state_dir", stateDirectory, problem: problem("estuary", "state_dir")))
        report.add(Self.folderProblem(key: "output_dir", outputDirectory, problem: problem("estuary", "output_dir")))
        if let textfile = metrics.textfile {
            report.add(Self.textfileProblem(textfile, problem: problem("metrics", "textfile")))
        }
        return report
    }

    /// `state_dir` and `output_dir`: estuary makes them (mkdir -p) at its first run, or systemd's
    /// StateDirectory= does; one that does not exist yet is fine where it can be made.
    private static func folderProblem(key: String, _ path: String, problem: (String) -> ConfigError) -> (
        problem: ConfigError, isError: Bool
    )? {
        let named = "\(key) \"\(path)\""
        let systemd = "under systemd, the unit's StateDirectory= or ReadWritePaths="
        switch FolderProbe.look(at: path) {
        case .writable, .missing(_, readOnly: false):
            return nil
        case .missing(let nearest, readOnly: true):
            return (
                problem(
                    "\(named) does not exist and cannot be made: \(nearest) is on a read-only file system; choose another \(key) (\(systemd))"
                ), true
            )
        case .notAFolder(let blocker):
            return (problem("\(named): \(blocker) is a file, not a folder; remove it or choose another \(key)"), true)
        case .readOnly:
            return (problem("\(named) is on a read-only file system; choose another \(key) (\(systemd))"), true)
        case .notWritable(let user):
            return (
                problem(
                    "\(named) is not writable by \(user), who runs this check; estuary once and run need a user who can write it (chown it to that user; \(systemd))"
                ), false
            )
        case .cannotLook(let user, let reason):
            return (problem("\(named) not checked: \(user) cannot look at it (\(reason))"), false)
        case .unusable(let reason):
            return (problem("\(named) cannot be used: \(reason)"), true)
        }
    }

    /// The textfile's folder is not made by estuary: it is node_exporter's, or systemd's
    /// RuntimeDirectory= (always in /run, and there only while the service runs).
    private static func textfileProblem(_ textfile: String, problem: (String) -> ConfigError) -> (
        problem: ConfigError, isError: Bool
    )? {
        let folder = (textfile as NSString).deletingLastPathComponent
        let named = "textfile \"\(textfile)\""
        let writable = "ReadWritePaths= when under systemd; see docs/metrics.md"
        switch FolderProbe.look(at: folder) {
        case .writable:
            return nil
        case .missing where (folder as NSString).deletingLastPathComponent == "/run":
            return (
                problem(
                    "\(named): the folder \(folder) does not exist now; fine if the unit's RuntimeDirectory= makes it while the service runs, else create it"
                ), false
            )
        case .missing:
            return (
                problem(
                    "\(named): the folder \(folder) does not exist; create it (estuary does not: it is node_exporter's textfile folder)"
                ), true
            )
        case .notAFolder(let blocker):
            return (problem("\(named): \(blocker) is a file, not a folder; the textfile needs an existing folder"), true)
        case .readOnly:
            return (problem("\(named): the folder \(folder) is on a read-only file system (\(writable))"), true)
        case .notWritable(let user):
            return (
                problem(
                    "\(named): the folder \(folder) is not writable by \(user), who runs this check; estuary must write it (\(writable))"
                ), false
            )
        case .cannotLook(let user, let reason):
            return (problem("\(named) not checked: \(user) cannot look at \(folder) (\(reason))"), false)
        case .unusable(let reason):
            return (problem("\(named): the folder \(folder) cannot be used: \(reason)"), true)
        }
    }
}

/// What a folder path is to this process, found by looking only.
enum FolderProbe: Equatable {
    case writable
    /// It does not exist; `nearest` is the closest folder above it that does.
    case missing(nearest: String, readOnly: Bool)
    /// `blocker` (the path or a folder above it) is not a folder.
    case notAFolder(String)
    case readOnly
    /// It exists, but the user running this (named) may not write it.
    case notWritable(user: String)
    /// The user running this may not even look at it (a folder above it is closed to them).
    case cannotLook(user: String, reason: String)
    case unusable(String)

    static func look(at path: String) -> FolderProbe {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            switch code {
            case ENOENT, ENOTDIR:
                // Up to the closest path that exists: a folder (then this one is missing) or not.
                let parent = (path as NSString).deletingLastPathComponent
                guard !parent.isEmpty, parent != path else { return .unusable(String(cString: strerror(code))) }
                switch look(at: parent) {
                case .writable, .notWritable, .readOnly:
                    return .missing(nearest: parent, readOnly: isReadOnly(parent))
                case let other: return other
                }
            case EACCES: return .cannotLook(user: currentUser, reason: String(cString: strerror(code)))
            default: return .unusable(String(cString: strerror(code)))
            }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return .notAFolder(path) }
        if isReadOnly(path) { return .readOnly }
        guard access(path, W_OK | X_OK) == 0 else {
            return errno == EROFS ? .readOnly : .notWritable(user: currentUser)
        }
        return .writable
    }

    private static func isReadOnly(_ path: String) -> Bool {
        var info = statvfs()
        return statvfs(path, &info) == 0 && info.f_flag & UInt(ST_RDONLY) != 0
    }

    /// "user alice (uid 1000)", or "uid 1000" when the user has no name.
    static var currentUser: String {
        let uid = getuid()
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return "user \(String(cString: name)) (uid \(uid))"
    }
}
