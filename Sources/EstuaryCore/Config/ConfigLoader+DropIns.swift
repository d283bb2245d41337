import Foundation

/// The drop-in folder: `estuary.d/*.toml` beside `estuary.toml`, systemd-style.
///
/// Drop-in files add `[[source]]` sections and nothing else, so a tool
/// (`estuary import-opml`) can add feeds without rewriting the operator's
/// file, its comments and its layout.
extension ConfigLoader {
    /// One file of the drop-in folder, as read.
    public struct DropIn: Sendable, Equatable {
        public var path: String
        public var text: String

        public init(path: String, text: String) {
            self.path = path
            self.text = text
        }
    }

    /// The drop-in folder of the config file at `path`: `/etc/estuary/estuary.toml` → `/etc/estuary/estuary.d`.
    public static func dropInFolder(of path: String) -> String {
        (path.hasSuffix(".toml") ? String(path.dropLast(5)) : path) + ".d"
    }

    /// Sorts drop-in file names as they are read: by their bytes, as systemd does.
    public static func dropInOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// The `*.toml` files of the drop-in folder of `path`, in name order (hidden files
    /// left out); none when the folder does not exist.
    public static func readDropIns(of path: String) throws(ConfigError) -> [DropIn] {
        let folder = dropInFolder(of: path)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else { return [] }
        guard isFolder.boolValue else {
            throw ConfigError(file: folder, message: "the drop-in folder of \(path) is not a folder; remove or rename it")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw ConfigError(file: folder, message: "cannot read the drop-in folder (\(reason(error)))")
        }
        var dropIns: [DropIn] = []
        for name in names.sorted(by: dropInOrder) where name.hasSuffix(".toml") && !name.hasPrefix(".") {
            let file = folder + "/" + name
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw ConfigError(file: file, message: "cannot read the drop-in file (\(reason(error)))")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigError(file: file, message: "the drop-in file is not valid UTF-8")
            }
            dropIns.append(DropIn(path: file, text: text))
        }
        return dropIns
    }
}

extension Reader {
    /// The sources of `dropIns`, in order, checked as the main file's are; an id already
    /// used by `main` or an earlier drop-in is an error naming both places.
    func sources(of dropIns: [ConfigLoader.DropIn], after main: [SourceConfig]) throws(ConfigError) -> [SourceConfig] {
        guard !dropIns.isEmpty else { return [] }
        // Where each id was defined, located only when an error names it (a locator scans the whole text).
        var places: [String: (reader: Reader, index: Int)] = [:]
        for (index, source) in main.enumerated() where places[source.id] == nil {
            places[source.id] = (self, index)
        }
        var sources: [SourceConfig] = []
        for dropIn in dropIns {
            let folder = URL(fileURLWithPath: dropIn.path).deletingLastPathComponent().standardizedFileURL
            let reader = Reader(file: dropIn.path, folder: folder, text: dropIn.text)
            try ConfigLoader.withTable(dropIn.text, file: dropIn.path) { root throws(ConfigError) in
                for key in root.keys.sorted() where key != "source" {
                    let locator = reader.locator
                    throw ConfigError(
                        file: dropIn.path, line: locator.line(header: "", key: key) ?? locator.line(header: key),
                        message: "a drop-in file holds only [[source]] sections; \"\(key)\" belongs in \(file)")
                }
                for (index, table) in try reader.tables(root, "source").enumerated() {
                    let source = try reader.source(table, index: index)
                    if let first = places[source.id] {
                        let place = first.reader.place(ofSource: first.index)
                        throw reader.error(
                            "duplicate source id \"\(source.id)\" (also at \(place); each [[source]] needs its own id)",
                            header: "source", index: index, key: "id", section: "[[source]] \"\(source.id)\"")
                    }
                    places[source.id] = (reader, index)
                    sources.append(source)
                }
            }
        }
        return sources
    }

    /// `file:line` of the id of the `index`-th `[[source]]`, for messages that point at two places.
    private func place(ofSource index: Int) -> String {
        guard let line = locator.line(header: "source", index: index, key: "id") else { return file }
        return "\(file):\(line)"
    }
}
