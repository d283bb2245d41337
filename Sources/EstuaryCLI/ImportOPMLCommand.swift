import ArgumentParser
import EstuaryCore
import EstuaryParse
import Foundation

struct ImportOPMLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-opml",
        abstract: "Add the feeds of an OPML file to the config, in a drop-in file.",
        discussion: """
            Appends a [[source]] per new feed to opml-import.toml (or --into) in the \
            config's drop-in folder (estuary.d beside estuary.toml, docs/config.md), \
            creating both if needed: the config file itself, its comments and its \
            layout stay as they are. Folders become tags, one per level, and so do the \
            segments of a category attribute. Feeds already configured (the same URL \
            up to http or https, www., case and a trailing slash) are left out, so \
            importing twice adds nothing. Nothing is written unless the config with \
            the new sources loads. A running daemon reads them on \
            `systemctl reload estuary`.

            Examples:
              estuary import-opml --config /etc/estuary/estuary.toml subscriptions.opml
              estuary import-opml --dry-run subscriptions.opml

            Exit status: 0 imported, or nothing new; 65 the file cannot be read, is not \
            OPML, or its feeds would not make a valid config; 74 the drop-in file could \
            not be written; 78 the config is invalid.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(
        help: ArgumentHelp(
            "The drop-in file to add the sources to, a name in the drop-in folder (.toml is added if missing).",
            valueName: "name"))
    var into = "opml-import.toml"

    @Flag(help: "Print the TOML that would be added on stdout, and write nothing.")
    var dryRun = false

    @Argument(help: ArgumentHelp("The OPML file.", valueName: "file"))
    var file: String

    func validate() throws {
        if into.isEmpty || into.contains("/") || into.hasPrefix(".") {
            throw ValidationError("--into \(into) must be a file name in the drop-in folder, not a path or a hidden file")
        }
    }

    func run() async throws {
        let configPath = options.configPath
        let dropIns: [ConfigLoader.DropIn]
        let config: Config
        do {
            dropIns = try ConfigLoader.readDropIns(of: configPath)
            config = try ConfigLoader().load(path: configPath, dropIns: dropIns, requireSources: false)
        } catch {
            Console.error("\(error)")
            throw ExitCode(ExitStatus.configError)
        }
        let list = try readList()

        let plan = SourceImport(feeds: list.feeds, existing: config.sources)
        for (feed, reason) in plan.refused {
            Console.error("\(file): skipped \(feed.title.map { "\"\($0)\"" } ?? "a feed"): \(reason)")
        }
        let folder = ConfigLoader.dropInFolder(of: configPath)
        let target = folder + "/" + (into.hasSuffix(".toml") ? into : into + ".toml")
        var counts = "\(plan.alreadyConfigured) already configured, \(list.withoutFeedURL) without xmlUrl skipped"
        if !plan.refused.isEmpty { counts += ", \(plan.refused.count) not http(s) skipped" }
        if plan.repeated > 0 { counts += ", \(plan.repeated) listed twice" }
        let feeds = "\(plan.added.count) feed\(plan.added.count == 1 ? "" : "s")"
        guard !plan.added.isEmpty else {
            Console.error("imported 0 feeds into \(target) (\(counts)); nothing written")
            return
        }

        var existing: [UInt8]? = nil
        if dropIns.contains(where: { $0.path == target }) {
            guard let data = FileManager.default.contents(atPath: target) else {
                Console.error("import-opml: cannot read \(target) again; nothing imported")
                throw ExitCode(ExitStatus.outputFailed)
            }
            existing = [UInt8](data)
        }
        let addition = Array(addedText(plan: plan, appending: existing).utf8)
        let bytes = (existing ?? []) + addition
        try validate(configPath: configPath, dropIns: dropIns, target: target, text: String(decoding: bytes, as: UTF8.self))
        if dryRun {
            Console.writeOut(addition)
            Console.error("would import \(feeds) into \(target) (\(counts)); nothing written (--dry-run)")
            return
        }
        do {
            // A folder the daemon's user can read, whatever the umask (the unit runs as another user).
            try AtomicFile.ensureFolder(folder, permissions: 0o755)
            try AtomicFile.write(bytes, to: target, permissions: Self.mode(of: existing != nil ? target : configPath))
        } catch {
            Console.error("import-opml: \(error); nothing imported")
            throw ExitCode(ExitStatus.outputFailed)
        }
        Console.error("imported \(feeds) into \(target) (\(counts))")
        Console.error("a running daemon reads them on `systemctl reload estuary` (`estuary check` lists them)")
    }

    /// The OPML file's feeds, or exits 65 (EX_DATAERR) naming the file and the reason.
    private func readList() throws -> OPMLList {
        // Read up to one byte past the cap: a huge (or sparse) file is refused without being loaded.
        guard let bytes = ParseCommand.readFile(file, upTo: FeedParser.defaultMaxBytes + 1) else {
            Console.error("\(file): cannot read the file (\(ParseCommand.unreadable(file)))")
            throw ExitCode(ExitStatus.dataError)
        }
        switch OPMLReader.read(bytes) {
        case .success(let list): return list
        case .failure(let failure):
            Console.error("\(file): \(failure)")
            throw ExitCode(ExitStatus.dataError)
        }
    }

    /// What is added to the drop-in file: a note on where the sources came from, then the sections;
    /// a new file starts by saying what it is.
    private func addedText(plan: SourceImport, appending existing: [UInt8]?) -> String {
        var text = ""
        if let existing {
            if let last = existing.last, last != UInt8(ascii: "\n") { text += "\n" }
        } else {
            text += """
                # Sources added by `estuary import-opml`. A drop-in file holds only [[source]]
                # sections (docs/config.md, "Drop-in files"); edit or remove them freely.

                """
        }
        let name = file.map { $0.isNewline ? " " : $0 }
        return text + "\n# imported from \(String(name))\n" + plan.toml()
    }

    /// Loads the config as it would be with `text` as the drop-in file `target`; exits 65 when it would not load.
    private func validate(configPath: String, dropIns: [ConfigLoader.DropIn], target: String, text: String) throws {
        var combined = dropIns.filter { $0.path != target }
        combined.append(ConfigLoader.DropIn(path: target, text: text))
        combined.sort { ConfigLoader.dropInOrder($0.path, $1.path) }
        do {
            _ = try ConfigLoader().load(path: configPath, dropIns: combined)
        } catch {
            Console.error("import-opml: nothing written: the config would not load with the imported sources: \(error)")
            throw ExitCode(ExitStatus.dataError)
        }
    }

    /// The permission bits of `path` (a new drop-in file takes the config file's), else 0644.
    private static func mode(of path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o666 : 0o644
    }
}
