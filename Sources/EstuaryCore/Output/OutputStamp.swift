import Foundation

/// What an output's files were last written from, kept in the state folder (`outputs/<name>`):
/// the state's output version (``ArticleStore/outputVersion()``) and a fingerprint of everything else
/// the files show (the output's settings, its template, its sources' settings).
///
/// A run that sees the same stamp needs no rewrite; one that sees another, or none (a write that
/// failed removes it), writes the output again. So a failed write is retried at the next run,
/// a changed title or template shows without waiting for new items, and items stored by a run
/// killed before its outputs were written still reach them.
struct OutputStamp {
    let path: String
    let text: String?

    /// `sources`: ``sourcesDigest(of:in:)`` of the output, which a caller may keep for a config.
    init(output: OutputConfig, config: Config, version: String?, now: Date, sources: String? = nil) {
        path = (config.stateDirectory as NSString).appendingPathComponent("outputs/\(output.name)")
        guard let version else {
            text = nil
            return
        }
        // What a max_age output shows also changes with the time: its stamp expires with a period
        // of a 24th of max_age (within a minute and an hour).
        var period = ""
        if let age = output.maxAge {
            let seconds = min(max(age.seconds / 24, 60), 3600)
            period = " \(Int((now.timeIntervalSince1970 / seconds).rounded(.down)))"
        }
        // Everything but the state that the files show: the output's settings and template (read
        // each time: an edit shows without a reload), its sources, the folder written to and the
        // writers' version (another output_dir, an upgrade).
        let template = output.template.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
        let setting =
            "\(output)\n\(config.outputDirectory)\n\(Estuary.version)\n\(template)\n"
            + (sources ?? Self.sourcesDigest(of: output, in: config))
        text = "\(version)\(period) \(ContentHash.hex(of: setting))\n"
    }

    /// What the files show of the output's sources, each field by field (describing 10,000 sources
    /// by reflection took a tenth of a second): the part of a stamp worth keeping per config.
    static func sourcesDigest(of output: OutputConfig, in config: Config) -> String {
        var sources = ""
        for source in output.selectedSources(from: config.sources) {
            sources += source.id + "\u{0}" + source.url.absoluteString + "\u{0}" + (source.title ?? "") + "\u{0}"
            sources += source.tags.joined(separator: ",") + "\n"
        }
        return ContentHash.hex(of: sources)
    }

    /// The files say what the state and the config say now.
    var isCurrent: Bool {
        guard let text else { return false }
        return (try? String(contentsOfFile: path, encoding: .utf8)) == text
    }

    /// After a write: its stamp when it succeeded, none when it failed (the next run writes again).
    func record(written: Bool) {
        guard written, let text else {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        try? AtomicFile.ensureFolder((path as NSString).deletingLastPathComponent)
        try? AtomicFile.write(Array(text.utf8), to: path)
    }
}
