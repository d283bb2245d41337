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
        for file in files {
            let result: Result<FeedDocument, ParseFailure>
            if let data = FileManager.default.contents(atPath: file) {
                bytesRead += data.count
                let documentURL = baseURL ?? URL(fileURLWithPath: file)
                result = parser.parse(Array(data), documentURL: documentURL, contentType: nil)
            } else {
                result = .failure(ParseFailure("cannot read the file"))
            }
            if case .failure = result { failures += 1 }
            let record = ParseRecord(source: file, result: result)
            let text = jsonl ? record.jsonLine() : try record.prettyJSON()
            print(text)
        }
        if stats {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let elapsed = ContinuousClock.now - started
            Console.error(
                "parse: \(files.count) files, \(bytesRead) bytes, \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 3)))), peak memory \(usage.ru_maxrss / 1024) MiB"
            )
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
