import Foundation

/// Writes an output's files, each replaced atomically.
public struct OutputWriter: Sendable {
    public init() {}

    /// Whether every file of `output` is already in `directory`.
    public func filesExist(for output: OutputConfig, in directory: String) -> Bool {
        output.formats.allSatisfy { format in
            FileManager.default.fileExists(
                atPath: (directory as NSString).appendingPathComponent("\(output.name).\(format.fileExtension)"))
        }
    }

    /// Writes every format of `output` into `directory`; returns the paths written.
    public func write(
        output: OutputConfig, articles: [StoredArticle], sources: [SourceConfig], statuses: [SourceStatus],
        directory: String, generated: Date
    ) throws -> [String] {
        try AtomicFile.ensureFolder(directory)
        AtomicFile.removeLeftovers(of: output.formats.map { "\(output.name).\($0.fileExtension)" }, in: directory)
        let articles = articles.map(WebLink.safe)
        let statuses = statuses.map(WebLink.safe)
        let statusByID = Dictionary(statuses.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let sourceByID = Dictionary(sources.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var written: [String] = []
        for format in output.formats {
            let path = (directory as NSString).appendingPathComponent("\(output.name).\(format.fileExtension)")
            let bytes: [UInt8]
            switch format {
            case .atom:
                let writer = AtomWriter(output: output, sources: sourceByID, statuses: statusByID, generated: generated)
                bytes = Array(writer.document(articles).utf8)
            case .rss:
                let writer = RSSWriter(output: output, sources: sourceByID, statuses: statusByID, generated: generated)
                bytes = Array(writer.document(articles).utf8)
            case .jsonfeed:
                bytes = try JSONFeedWriter(output: output, sources: sourceByID, statuses: statusByID).bytes(articles)
            case .html:
                let page = RiverPage(output: output, sources: sourceByID, statuses: statusByID, generated: generated)
                bytes = Array(try page.document(articles).utf8)
            case .json:
                bytes = try JSONIndex(
                    output: output, sources: sources, statuses: statusByID, articles: articles, generated: generated
                ).bytes()
            case .opml:
                bytes = Array(
                    OPMLWriter(title: output.title ?? output.name, sources: sources, statuses: statusByID).document().utf8)
            }
            // Same bytes as already there: not rewritten, so the mtime stays and HTTP caches keep working.
            if FileManager.default.contents(atPath: path).map({ Array($0) == bytes }) != true {
                try AtomicFile.write(bytes, to: path)
            }
            written.append(path)
        }
        return written
    }
}
