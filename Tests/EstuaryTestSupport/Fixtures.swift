import Foundation

/// Paths and files the tests share.
public enum Fixtures {
    /// The repository's root folder.
    public static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The bundled demo feeds, which include the seed article and its two feeds.
    public static let demoFeeds = repository.appendingPathComponent("config/demo-feeds")

    public static func demoFeed(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: demoFeeds.appendingPathComponent(name)))
    }

    /// The seed article as plain text: title, then paragraphs.
    public static func seedArticle() throws -> (title: String, paragraphs: [String]) {
        let text = try String(contentsOf: demoFeeds.appendingPathComponent("article.txt"), encoding: .utf8)
        let blocks = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        return (blocks[0], Array(blocks.dropFirst()))
    }

    /// A fresh empty folder, removed at process exit by the OS's tmp cleaning at the latest.
    public static func temporaryFolder(_ name: String = "estuary-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `estuary.toml` in a fresh folder: state in `state/`, outputs in `public/` (and `estuary`'s
    /// other lines of the [estuary] table), then `body`.
    public static func config(_ body: String, estuary: String = "") throws -> (folder: URL, file: URL) {
        let folder = try temporaryFolder()
        let file = folder.appendingPathComponent("estuary.toml")
        try ("[estuary]\nstate_dir = \"state\"\noutput_dir = \"public\"\n\(estuary)\n\n" + body).write(
            to: file, atomically: true, encoding: .utf8)
        return (folder, file)
    }
}

extension Fixtures {
    /// A switch a test turns on once, read from any thread (a server handler holding a request
    /// until the test lets it go, say).
    public final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false

        public init() {}

        public var isSet: Bool { lock.withLock { value } }
        public func set() { lock.withLock { value = true } }
    }
}
