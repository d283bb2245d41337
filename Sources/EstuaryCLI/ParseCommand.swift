import ArgumentParser
import EstuaryCore
import EstuaryParse
import Foundation

struct ParseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Show the parser's view of feed files.",
        discussion: """
            Prints one record per file (specified in docs/parse-record.md): the \
            detected format, the feed's fields and every item. A file that cannot \
            be read as a feed prints {"source": ..., "error": ...} and the command \
            goes on with the next.

            Examples:
              estuary parse feed.xml
              estuary parse --jsonl tests/*.xml > records.jsonl

            Exit status: 0 every file parsed; 1 some did not.
            """
    )

    @Flag(help: "One JSON object per file, one line each, in input order.")
    var jsonl = false

    @Option(help: ArgumentHelp("Resolve relative URLs against this URL instead of the file's own.", valueName: "url"))
    var base: String?

    @Flag(help: "Leave bodies unsanitized (for measuring the parser alone; never use the output in a page).")
    var noSanitize = false

    @Option(help: ArgumentHelp("Refuse files larger than this many bytes.", valueName: "bytes"))
    var maxBytes = FeedParser.defaultMaxBytes

    @Flag(help: "Print the bytes read, the time taken and the peak memory on stderr.")
    var stats = false

    @Argument(help: ArgumentHelp("Feed files to parse.", valueName: "file"))
    var files: [String]

    func run() async throws {
        let parser = FeedParser(sanitize: !noSanitize, maxBytes: maxBytes)
        let baseURL = base.flatMap(URL.init(string:))
        var failures = 0
        var bytesRead = 0
        let started = ContinuousClock.now
        if jsonl {
            failures = await parseAllJSONLines(parser: parser, baseURL: baseURL, bytesRead: &bytesRead)
        } else {
            for file in files {
                let result = Self.parse(file, with: parser, baseURL: baseURL, stream: nil, bytesRead: &bytesRead)
                print(try ParseRecord(source: file, result: result).prettyJSON())
                if (try? result.get()) == nil { failures += 1 }
            }
        }
        if stats {
            let elapsed = ContinuousClock.now - started
            let peak = Self.peakMemoryKiB().map { "\($0 / 1024) MiB" } ?? "unknown"
            Console.error(
                "parse: \(files.count) files, \(bytesRead) bytes, \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 3)))), peak memory \(peak)"
            )
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// Files up to this size are parsed on all cores at once; larger ones stream alone.
    static let parallelLimit = 4 << 20

    /// `--jsonl`: small files parsed on every core at once, written in input order; a large
    /// file streams its items out as they are parsed, so memory stays flat. Returns the failures.
    private func parseAllJSONLines(parser: FeedParser, baseURL: URL?, bytesRead: inout Int) async -> Int {
        var failures = 0
        var index = 0
        while index < files.count {
            var end = index
            while end < files.count, Self.fileSize(files[end]) <= Self.parallelLimit { end += 1 }
            if end > index {
                failures += await parseInParallel(files[index..<end], parser: parser, baseURL: baseURL, bytesRead: &bytesRead)
                index = end
                continue
            }
            let file = files[index]
            index += 1
            var writer = ParseRecordWriter(source: file) { Console.writeOut($0) }
            let stream = FeedParser.Stream(start: { writer.start(format: $0, encoding: $1) }, item: { writer.item($0) })
            let result = Self.parse(file, with: parser, baseURL: baseURL, stream: stream, bytesRead: &bytesRead)
            writer.finish(result)
            Console.writeOut([0x0A])
            if (try? result.get()) == nil { failures += 1 }
        }
        return failures
    }

    /// One file's JSON line, ready to be written in its turn.
    private struct ParsedFile: Sendable {
        var position: Int
        var line: [UInt8]
        var failed: Bool
        var bytes: Int
    }

    /// Parses `run` with a task per core busy at all times: each finished file starts the next,
    /// and lines are written as soon as every earlier file's line is out (at most a few cores'
    /// worth of finished lines wait for a slow file). Returns the failures.
    private func parseInParallel(_ run: ArraySlice<String>, parser: FeedParser, baseURL: URL?, bytesRead: inout Int) async
        -> Int
    {
        let width = max(1, ProcessInfo.processInfo.activeProcessorCount) * 2
        let window = width * 2
        var failures = 0
        var total = 0
        await withTaskGroup(of: ParsedFile.self) { group in
            var nextToStart = run.startIndex
            var nextToWrite = run.startIndex
            var running = 0
            var finished: [Int: ParsedFile] = [:]
            func startMore() {
                while running < width, nextToStart < run.endIndex, nextToStart - nextToWrite < window {
                    let (position, file) = (nextToStart, run[nextToStart])
                    group.addTask {
                        var bytes = 0
                        let result = Self.parse(file, with: parser, baseURL: baseURL, stream: nil, bytesRead: &bytes)
                        var line = ParseRecord(source: file, result: result).jsonLineBytes()
                        line.append(0x0A)
                        return ParsedFile(position: position, line: line, failed: (try? result.get()) == nil, bytes: bytes)
                    }
                    nextToStart += 1
                    running += 1
                }
            }
            startMore()
            for await parsed in group {
                running -= 1
                finished[parsed.position] = parsed
                while let ready = finished.removeValue(forKey: nextToWrite) {
                    Console.writeOut(ready.line)
                    if ready.failed { failures += 1 }
                    total += ready.bytes
                    nextToWrite += 1
                }
                startMore()
            }
        }
        bytesRead += total
        return failures
    }

    private static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    private static func parse(
        _ file: String, with parser: FeedParser, baseURL: URL?, stream: FeedParser.Stream?, bytesRead: inout Int
    ) -> Result<
        FeedDocument, ParseFailure
    > {
        // Read straight into one array: the input is the largest buffer alive.
        // At most one byte over the limit: enough for the parser to refuse the file, without
        // allocating what a huge (or sparse) file says its size is.
        let cap = parser.maxBytes < Int.max ? parser.maxBytes + 1 : Int.max
        guard let bytes = Self.readFile(file, upTo: cap) else {
            return .failure(ParseFailure("read: cannot read the file (\(Self.unreadable(file)))"))
        }
        bytesRead += bytes.count
        return parser.parse(bytes, documentURL: baseURL, contentType: nil, stream: stream)
    }

    /// The file, read into one array without an intermediate copy, its first `limit` bytes at most;
    /// nil when it is not a regular file or cannot be read.
    /// Why ``readFile(_:upTo:)`` returned nil for `path`, in words.
    static func unreadable(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return String(cString: strerror(errno)) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return "it is a folder"
        case S_IFREG: return String(cString: strerror(access(path, R_OK) == 0 ? EIO : errno))
        default: return "it is a FIFO, a socket or a device, not a regular file"
        }
    }

    static func readFile(_ path: String, upTo limit: Int = .max) -> [UInt8]? {
        // Non-blocking: a FIFO named as a feed file must not hang the run (it is refused below).
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        // Read into uninitialized storage: zero-filling it first would be one more pass over the file.
        return [UInt8](unsafeUninitializedCapacity: min(Int(info.st_size), limit)) { buffer, count in
            var offset = 0
            while offset < buffer.count {
                let n = read(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                offset += n
            }
            count = offset
        }
    }

    /// This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss,
    /// which Linux carries over from the parent across fork and exec.
    static func peakMemoryKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
}
