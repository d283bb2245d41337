import Foundation
import Mustache
import TOMLKit

/// Reads and validates `estuary.toml`.
///
/// Every problem becomes a ``ConfigError`` naming the file, the line, the
/// section and the key, so `estuary check` can point the operator at it.
public struct ConfigLoader {
    public init() {}

    /// Loads the file at `path` and its drop-in folder (``dropInFolder(of:)``); relative paths
    /// inside a file are resolved against that file's folder.
    public func load(path: String) throws(ConfigError) -> Config {
        try load(path: path, dropIns: nil)
    }

    /// Loads the file at `path` with `dropIns` in place of its drop-in folder's files (nil: read
    /// them); `requireSources` false accepts a config without any source, as `import-opml` may start from.
    public func load(path: String, dropIns: [DropIn]?, requireSources: Bool = true) throws(ConfigError) -> Config {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let missing = !FileManager.default.fileExists(atPath: path)
            throw ConfigError(
                file: path,
                message: missing
                    ? "no config file here; write one (config/estuary.example.toml shows every section), "
                        + "or pass --config PATH or set ESTUARY_CONFIG"
                    : "cannot read the config file (\(Self.reason(error))); pass --config PATH or set ESTUARY_CONFIG")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, message: "the config file is not valid UTF-8")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL
        let files: [DropIn]
        if let dropIns { files = dropIns } else { files = try Self.readDropIns(of: path) }
        return try parse(text: text, file: path, folder: folder, dropIns: files, requireSources: requireSources)
    }

    /// Parses config text; `folder` is where relative paths are resolved from. The
    /// sources of `dropIns` follow the text's own.
    public func parse(
        text: String, file: String, folder: URL, dropIns: [DropIn] = [], requireSources: Bool = true
    ) throws(ConfigError) -> Config {
        var reader = Reader(file: file, folder: folder, text: text)
        var config = try Self.withTable(text, file: file) { table throws(ConfigError) in try reader.config(from: table) }
        config.sources += try reader.sources(of: dropIns, after: config.sources)
        if requireSources && config.sources.isEmpty {
            throw ConfigError(
                file: file,
                message:
                    "no [[source]] sections: add at least one feed to follow (see docs/config.md, or config/estuary.example.toml in Estuary's source)"
            )
        }
        try reader.checkOutputs(config)
        return config
    }

    /// Runs `body` on the TOML table of `text`, or throws a syntax error at the line TOMLKit gives.
    ///
    /// TOMLKit 0.6.0's tables never free the document they parse (no deinit: LebJe/TOMLKit#26), so
    /// a daemon reloading a config of 10,000 sources grew by 8 MB a reload. The document's values
    /// are freed here once `body` is done; nothing `body` read from the table may outlive it.
    static func withTable<T>(_ text: String, file: String, _ body: (TOMLTable) throws(ConfigError) -> T) throws(ConfigError)
        -> T
    {
        let table = try table(text, file: file)
        defer { table.clear() }
        return try body(table)
    }

    private static func table(_ text: String, file: String) throws(ConfigError) -> TOMLTable {
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, message: "TOML syntax error: \(error.description)")
        } catch {
            throw ConfigError(file: file, message: "TOML syntax error: \(error)")
        }
    }

    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
            let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(describing: POSIXError(code).localizedDescription)
        }
        return ns.localizedDescription
    }
}

/// Walks the parsed table, keeping what it needs to locate errors (extended per section in `ConfigLoader+*.swift`).
struct Reader {
    let file: String
    let folder: URL
    /// The text, scanned for line numbers only when an error needs one.
    let text: String
    var locator: TOMLLocator { TOMLLocator(text: text) }

    /// Names that become file names or log keys: letters, digits, `.`, `_`, `-`.
    static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), let first = name.utf8.first, isAlnum(first) else { return false }
        return name.utf8.allSatisfy {
            isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    /// Whether `data` has a PEM certificate block, the only thing OpenSSL reads from a CA file
    /// (`CERTIFICATE`, `TRUSTED CERTIFICATE` or `X509 CERTIFICATE`).
    static func holdsPEMCertificate(_ data: Data) -> Bool {
        String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).contains { line in
            let line = line.trimmingCharacters(in: .whitespaces)
            return line.hasPrefix("-----BEGIN ") && line.hasSuffix("CERTIFICATE-----")
        }
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    func error(_ message: String, header: String? = nil, index: Int = 0, key: String? = nil, section: String? = nil)
        -> ConfigError
    {
        var line: Int? = nil
        if let header {
            let locator = self.locator
            line = locator.line(header: header, index: index, key: key) ?? locator.line(header: header, index: index)
        }
        return ConfigError(file: file, line: line, section: section, message: message)
    }

    mutating func config(from root: TOMLTable) throws(ConfigError) -> Config {
        for key in root.keys where !["estuary", "fetch", "source", "output", "metrics"].contains(key) {
            let message = "unknown top-level key \"\(key)\" (expected [estuary], [fetch], [[source]], [[output]] or [metrics])"
            let locator = self.locator
            let line = locator.line(header: "", key: key) ?? locator.line(header: key)
            throw ConfigError(file: file, line: line, message: message)
        }

        var stateDirectory = Config.defaultStateDirectory
        var outputDirectory = Config.defaultOutputDirectory
        var interval = Config.defaultInterval
        var maxFeedBytes = Config.defaultMaxFeedBytes
        var dedupe = DedupeScope.all
        var normalizeIDs = true
        var maxStateBytes: Int? = nil
        var logLevel: String? = nil
        // The scheduling keys land on a config with no sources yet; the real one takes them at the end.
        var schedule = Config(file: file, stateDirectory: "", outputDirectory: "", interval: interval, sources: [], outputs: [])
        if let value = root["estuary"] {
            guard let estuary = value.table else {
                throw error("estuary must be a table: [estuary]", header: "", key: "estuary")
            }
            let section = "[estuary]"
            let t = TableReader(reader: self, table: estuary, header: "estuary", index: 0, section: section)
            try t.allowOnly([
                "state_dir", "output_dir", "interval", "max_feed_bytes", "dedupe", "normalize_ids", "max_state_bytes",
                "log_level", "min_interval", "max_interval", "cold_start_spread", "output_delay", "stop_timeout",
            ])
            if let level = try t.string("log_level") {
                guard Config.logLevels.contains(level) else {
                    throw t.error(
                        key: "log_level",
                        "log_level \"\(level)\" must be one of \(Config.logLevels.joined(separator: ", "))")
                }
                logLevel = level
            }
            if let bytes = try t.int("max_state_bytes") {
                guard bytes >= 65536 else {
                    throw t.error(key: "max_state_bytes", "max_state_bytes must be at least 65536, not \(bytes)")
                }
                maxStateBytes = bytes
            }
            if let text = try t.string("dedupe") {
                guard let scope = DedupeScope(rawValue: text) else {
                    throw t.error(key: "dedupe", "dedupe \"\(text)\" must be \"all\", \"tags\" or \"off\"")
                }
                dedupe = scope
            }
            if let value = try t.bool("normalize_ids") { normalizeIDs = value }
            if let bytes = try t.int("max_feed_bytes") {
                guard bytes >= 1024 else {
                    throw t.error(key: "max_feed_bytes", "max_feed_bytes must be at least 1024, not \(bytes)")
                }
                maxFeedBytes = bytes
            }
            if let dir = try t.string("state_dir") { stateDirectory = resolve(path: dir) }
            if let dir = try t.string("output_dir") { outputDirectory = resolve(path: dir) }
            if let value = try t.duration("interval", positive: true) { interval = value }
            if let value = try t.duration("min_interval", positive: true) { schedule.minInterval = value }
            if let value = try t.duration("max_interval", positive: true) { schedule.maxInterval = value }
            guard schedule.minInterval <= schedule.maxInterval else {
                throw t.error(
                    key: "max_interval",
                    "max_interval \(DurationText.format(schedule.maxInterval)) is shorter than min_interval \(DurationText.format(schedule.minInterval))"
                )
            }
            if let value = try t.duration("cold_start_spread", positive: false) { schedule.coldStartSpread = value }
            if let value = try t.duration("output_delay", positive: false) { schedule.outputDelay = value }
            if let value = try t.duration("stop_timeout", positive: false) { schedule.stopTimeout = value }
        }

        var fetch = FetchConfig()
        if let value = root["fetch"] {
            guard let table = value.table else { throw error("fetch must be a table: [fetch]", header: "", key: "fetch") }
            fetch = try fetchConfig(table)
        }

        var sources: [SourceConfig] = []
        var ids: Set<String> = []
        for (index, table) in try tables(root, "source").enumerated() {
            let source = try self.source(table, index: index)
            if !ids.insert(source.id).inserted {
                throw error(
                    "duplicate source id \"\(source.id)\" (each [[source]] needs its own id)",
                    header: "source", index: index, key: "id", section: "[[source]] \"\(source.id)\"")
            }
            sources.append(source)
        }

        var outputs: [OutputConfig] = []
        for (index, table) in try tables(root, "output").enumerated() {
            let output = try self.output(table, index: index)
            if outputs.contains(where: { $0.name == output.name }) {
                throw error(
                    "duplicate output name \"\(output.name)\" (each [[output]] writes its own files)",
                    header: "output", index: index, key: "name", section: "[[output]] \"\(output.name)\"")
            }
            outputs.append(output)
        }

        var config = Config(
            file: file, stateDirectory: stateDirectory, outputDirectory: outputDirectory,
            interval: interval, sources: sources, outputs: outputs)
        config.maxFeedBytes = maxFeedBytes
        config.fetch = fetch
        config.dedupe = dedupe
        config.normalizeIDs = normalizeIDs
        config.maxStateBytes = maxStateBytes
        config.logLevel = logLevel
        config.minInterval = schedule.minInterval
        config.maxInterval = schedule.maxInterval
        config.coldStartSpread = schedule.coldStartSpread
        config.outputDelay = schedule.outputDelay
        config.stopTimeout = schedule.stopTimeout
        config.metrics = try metricsConfig(root)
        return config
    }

    func tables(_ root: TOMLTable, _ name: String) throws(ConfigError) -> [TOMLTable] {
        guard let value = root[name] else { return [] }
        guard let array = value.array else {
            throw error("\(name) must be an array of tables: write [[\(name)]]", header: name)
        }
        var result: [TOMLTable] = []
        for (index, element) in array.enumerated() {
            guard let table = element.table else {
                throw error("\(name) must be an array of tables: write [[\(name)]]", header: name, index: index)
            }
            result.append(table)
        }
        return result
    }

    func source(_ table: TOMLTable, index: Int) throws(ConfigError) -> SourceConfig {
        var t = TableReader(reader: self, table: table, header: "source", index: index, section: "[[source]] #\(index + 1)")
        guard let id = try t.string("id") else {
            throw t.error(key: nil, "missing key \"id\" (a short unique name such as \"lwn\")")
        }
        guard Self.isValidName(id) else {
            throw t.error(
                key: "id", "id \"\(id)\" must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        t.section = "[[source]] \"\(id)\""
        try t.allowOnly([
            "id", "url", "title", "tags", "headers", "username", "password_file", "password_env", "tls_verify", "ca_file",
            "max_items", "max_age", "interval",
        ])
        guard let urlText = try t.string("url") else {
            throw t.error(key: nil, "missing key \"url\" (the feed's http, https or file URL)")
        }
        let url = try sourceURL(urlText, t)
        var source = SourceConfig(id: id, url: url, title: try t.string("title"), tags: try t.strings("tags") ?? [])
        if let value = table["headers"] {
            guard let headers = value.table else {
                throw t.error(key: "headers", "headers must be a table of strings, such as { \"X-Token\" = \"abc\" }")
            }
            for name in headers.keys.sorted() {
                guard let text = headers[name]?.string, !name.contains(":"), !text.contains("\n"), !text.contains("\r") else {
                    throw t.error(key: "headers", "header \"\(name)\" must be a one-line string")
                }
                source.headers.append(SourceConfig.Header(name: name, value: text))
            }
        }
        source.username = try t.string("username")
        let passwordFile = try t.string("password_file")
        let passwordEnv = try t.string("password_env")
        if passwordFile != nil || passwordEnv != nil {
            guard source.username != nil else {
                throw t.error(key: passwordFile != nil ? "password_file" : "password_env", "a password needs a username")
            }
            source.password = try password(file: passwordFile, env: passwordEnv, t)
        }
        if let verify = try t.bool("tls_verify") { source.verifyTLS = verify }
        if let file = try t.string("ca_file") {
            guard source.verifyTLS else {
                throw t.error(
                    key: "ca_file", "ca_file has no effect with tls_verify = false; keep ca_file and remove tls_verify = false")
            }
            let path = resolve(path: file)
            // libcurl reads it at the first fetch: what it would refuse there (a folder, a DER
            // file, anything but PEM certificates) is refused here, where `estuary check` sees it.
            guard let data = FileManager.default.contents(atPath: path) else {
                throw t.error(key: "ca_file", "cannot read the CA file \(path) (a PEM file of certificate authorities)")
            }
            guard Self.holdsPEMCertificate(data) else {
                throw t.error(
                    key: "ca_file",
                    "the CA file \(path) holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\"); a DER file "
                        + "converts with: openssl x509 -inform DER -in \(path) -out ca.pem")
            }
            source.caFile = path
        }
        if let value = try t.int("max_items") {
            guard value > 0 else { throw t.error(key: "max_items", "max_items must be a positive number, not \(value)") }
            source.maxItems = value
        }
        if let age = try t.duration("max_age", positive: true, examples: "\"30d\" or \"365d\"") { source.maxAge = age }
        source.interval = try t.duration("interval", positive: true)
        return source
    }

    func sourceURL(_ text: String, _ t: TableReader) throws(ConfigError) -> URL {
        let notURL = "url \"\(text)\" is not an http, https or file URL"
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else { throw t.error(key: "url", notURL) }
        switch scheme {
        case "http", "https":
            guard let host = url.host, !host.isEmpty else {
                throw t.error(key: "url", "\(notURL): it has no host (write \(scheme)://host/path)")
            }
            return url
        case "file":
            if let host = url.host, !host.isEmpty, host != "localhost" {
                throw t.error(
                    key: "url", "\(notURL): \"\(host)\" is read as a host; write file:relative/path or file:///absolute/path")
            }
            let path = url.path
            guard !path.isEmpty else { throw t.error(key: "url", "\(notURL): it has no path") }
            return URL(fileURLWithPath: resolve(path: path))
        default:
            throw t.error(key: "url", notURL)
        }
    }

    func password(file: String?, env: String?, _ t: TableReader) throws(ConfigError) -> Secret {
        if let file {
            let path = resolve(path: file)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw t.error(key: "password_file", "cannot read the password file \(path)")
            }
            // A trailing newline is the editor's, not the password's.
            return Secret(String(text.reversed().drop(while: { $0 == "\n" || $0 == "\r" }).reversed()))
        }
        let name = env ?? ""
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw t.error(key: "password_env", "the environment variable \(name) is not set")
        }
        return Secret(value)
    }

    func fetchConfig(_ table: TOMLTable) throws(ConfigError) -> FetchConfig {
        let t = TableReader(reader: self, table: table, header: "fetch", index: 0, section: "[fetch]")
        try t.allowOnly([
            "concurrency", "per_host", "host_spacing", "user_agent", "allow_private_addresses", "connect_timeout", "timeout",
            "max_redirects", "move_after_redirects",
        ])
        var fetch = FetchConfig()
        func positive(_ key: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int? {
            guard let value = try t.int(key) else { return nil }
            guard range.contains(value) else {
                throw t.error(key: key, "\(key) must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
            }
            return value
        }
        func duration(_ key: String, positive: Bool = false) throws(ConfigError) -> Duration? {
            try t.duration(key, positive: positive, examples: "\"500ms\", \"1s\" or \"30s\"")
        }
        if let value = try positive("concurrency", 1...1000) { fetch.concurrency = value }
        if let value = try positive("per_host", 1...100) { fetch.perHost = value }
        if let value = try duration("host_spacing") { fetch.hostSpacing = value }
        if let value = try t.string("user_agent") { fetch.userAgent = value }
        if let value = try t.bool("allow_private_addresses") { fetch.allowPrivateAddresses = value }
        // A limit of zero would be no limit at all.
        if let value = try duration("connect_timeout", positive: true) { fetch.connectTimeout = value }
        if let value = try duration("timeout", positive: true) { fetch.timeout = value }
        if let value = try positive("max_redirects", 0...20) { fetch.maxRedirects = value }
        if let value = try positive("move_after_redirects", 1...100) { fetch.moveAfterRedirects = value }
        return fetch
    }

    func output(_ table: TOMLTable, index: Int) throws(ConfigError) -> OutputConfig {
        var t = TableReader(reader: self, table: table, header: "output", index: index, section: "[[output]] #\(index + 1)")
        guard let name = try t.string("name") else {
            throw t.error(key: nil, "missing key \"name\" (the base name of the files written)")
        }
        guard Self.isValidName(name) else {
            throw t.error(
                key: "name", "name \"\(name)\" must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        t.section = "[[output]] \"\(name)\""
        try t.allowOnly([
            "name", "formats", "max_items", "title", "subtitle", "id", "link", "home_page", "author", "sources", "tags",
            "template", "include", "exclude", "max_age", "index_content",
        ])
        var filters: [String: String] = [:]
        for key in ["include", "exclude"] {
            guard let pattern = try t.string(key) else { continue }
            guard (try? NSRegularExpression(pattern: pattern)) != nil else {
                throw t.error(key: key, "\(key) \"\(pattern)\" is not a valid regular expression")
            }
            filters[key] = pattern
        }
        var formats = OutputConfig.defaultFormats
        if let names = try t.strings("formats") {
            formats = []
            for name in names {
                guard let format = OutputFormat(rawValue: name) else {
                    let known = OutputFormat.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                    throw t.error(key: "formats", "format \"\(name)\" is not supported (supported: \(known))")
                }
                if !formats.contains(format) { formats.append(format) }
            }
            if formats.isEmpty { throw t.error(key: "formats", "formats is empty: name at least one format") }
        }
        var maxItems = OutputConfig.defaultMaxItems
        if let value = try t.int("max_items") {
            guard (1...OutputConfig.maxItemsLimit).contains(value) else {
                throw t.error(
                    key: "max_items", "max_items must be between 1 and \(OutputConfig.maxItemsLimit), not \(value)")
            }
            maxItems = value
        }
        var output = OutputConfig(name: name, formats: formats, maxItems: maxItems, title: try t.string("title"))
        output.subtitle = try t.string("subtitle")
        output.id = try t.string("id")
        if let link = try t.string("link") {
            guard let url = URL(string: link), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.query == nil,
                url.fragment == nil
            else {
                throw t.error(
                    key: "link",
                    "link \"\(link)\" must be the http(s) address the files are published at, without ? or #")
            }
            output.link = link
        }
        if let page = try t.string("home_page") {
            guard let url = URL(string: page), ["http", "https"].contains(url.scheme?.lowercased() ?? "") else {
                throw t.error(key: "home_page", "home_page \"\(page)\" must be the http(s) address of the site")
            }
            output.homePage = page
        }
        if let content = try t.bool("index_content") { output.indexContent = content }
        if let id = output.id, !StableID.isAbsoluteIRI(id) {
            throw t.error(key: "id", "id \"\(id)\" must be an absolute IRI, such as \"tag:planet.example,2024:river\"")
        }
        output.author = try t.string("author")
        output.sources = try t.strings("sources")
        output.tags = try t.strings("tags")
        output.include = filters["include"]
        output.exclude = filters["exclude"]
        if let age = try t.duration("max_age", positive: true, examples: "\"7d\"") { output.maxAge = age }
        if let template = try t.string("template") {
            let path = resolve(path: template)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw t.error(key: "template", "cannot read the template \(path)")
            }
            // Checked here, so `estuary check` and a reload refuse it, not the next output write.
            do {
                _ = try MustacheTemplate(string: text)
            } catch let problem as MustacheTemplate.ParserError {
                throw t.error(
                    key: "template",
                    "the template \(path) does not parse at line \(problem.context.lineNumber), column "
                        + "\(problem.context.columnNumber): \(problem.error)")
            } catch {
                throw t.error(key: "template", "the template \(path) does not parse: \(error)")
            }
            output.template = path
        }
        return output
    }

    /// What only the whole config shows: an output naming a source or a tag no [[source]] has
    /// (drop-ins included: a typo would leave the output empty), two outputs writing the same file.
    func checkOutputs(_ config: Config) throws(ConfigError) {
        let ids = Set(config.sources.map(\.id))
        let tags = Set(config.sources.flatMap(\.tags))
        var files: [String: String] = [:]
        for (index, output) in config.outputs.enumerated() {
            let section = "[[output]] \"\(output.name)\""
            if let unknown = output.sources?.first(where: { !ids.contains($0) }) {
                throw error(
                    "sources names \"\(unknown)\", which no [[source]] has (check the id's spelling)", header: "output",
                    index: index, key: "sources", section: section)
            }
            if let unknown = output.tags?.first(where: { !tags.contains($0) }) {
                throw error(
                    "tags names \"\(unknown)\", which no [[source]] has (check the tag's spelling; tags are "
                        + "case-sensitive)", header: "output", index: index, key: "tags", section: section)
            }
            for format in output.formats {
                let file = "\(output.name).\(format.fileExtension)"
                if let other = files[file] {
                    throw error(
                        "this output would write \(file), which output \"\(other)\" writes too: rename one of them",
                        header: "output", index: index, key: "name", section: section)
                }
                files[file] = output.name
            }
        }
    }

    /// Absolute paths stay; relative ones are taken from the config file's folder.
    func resolve(path: String) -> String {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
        return folder.appendingPathComponent(path).standardizedFileURL.path
    }
}

/// Typed access to one table's keys, with errors that name the key's line.
struct TableReader {
    let reader: Reader
    let table: TOMLTable
    let header: String
    let index: Int
    var section: String

    func error(key: String?, _ message: String) -> ConfigError {
        reader.error(message, header: header, index: index, key: key, section: section)
    }

    func allowOnly(_ keys: [String]) throws(ConfigError) {
        for key in table.keys.sorted() where !keys.contains(key) {
            let expected = keys.map { "\"\($0)\"" }.joined(separator: ", ")
            throw error(key: key, "unknown key \"\(key)\" (known keys: \(expected))")
        }
    }

    func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = table[key] else { return nil }
        guard let s = value.string else { throw error(key: key, "\(key) must be a string, not \(value.type)") }
        return s
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let b = value.bool else { throw error(key: key, "\(key) must be true or false, not \(value.type)") }
        return b
    }

    func int(_ key: String) throws(ConfigError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let i = value.int else { throw error(key: key, "\(key) must be an integer, not \(value.type)") }
        return i
    }

    /// A duration such as "90s" or "1h30m", or an integer number of seconds (`interval = 600`, as
    /// docs/config.md allows); `positive` refuses zero.
    func duration(_ key: String, positive: Bool, examples: String = "\"90s\", \"30m\", \"1h\" or \"1d\"") throws(ConfigError)
        -> Duration?
    {
        guard let value = table[key] else { return nil }
        let text: String
        if let seconds = value.int {
            text = String(seconds)
        } else if let string = value.string {
            text = string
        } else {
            throw error(key: key, "\(key) must be a duration such as \(examples), or seconds, not \(value.type)")
        }
        guard let value = DurationText.parse(text), !positive || value > .zero else {
            throw error(key: key, "\(key) \"\(text)\" is not a\(positive ? " positive" : "") duration such as \(examples)")
        }
        return value
    }

    func strings(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw error(key: key, "\(key) must be an array of strings, such as [\"a\", \"b\"]") }
        var result: [String] = []
        for element in array {
            guard let s = element.string else {
                throw error(key: key, "\(key) must be an array of strings, such as [\"a\", \"b\"]")
            }
            result.append(s)
        }
        return result
    }
}
