import EstuaryCore
import EstuaryParse
import EstuaryTestSupport
import Foundation
import Testing

/// Reading OPML subscription lists for `estuary import-opml`.
@Suite struct OPMLReaderTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/subscriptions.opml")

    func read(_ text: String) -> Result<OPMLList, ParseFailure> { OPMLReader.read(Array(text.utf8)) }

    @Test func nestedFoldersAndCategoriesBecomeFoldersOfEachFeed() throws {
        let list = try OPMLReader.read(Array(try Data(contentsOf: Self.fixture))).get()
        #expect(
            list.feeds == [
                OPMLFeed(url: "https://lwn.net/headlines/rss", title: "LWN.net", folders: ["Tech News", "Linux"]),
                OPMLFeed(url: "https://www.phoronix.com/rss.php", title: "Phoronix & friends", folders: ["Tech News", "Linux"]),
                OPMLFeed(
                    url: "https://feeds.arstechnica.com/arstechnica/index", title: "Ars Technica",
                    folders: ["Tech News", "Science", "Space", "reading"]),
                OPMLFeed(url: "http://www.lwn.net/headlines/rss/", title: "LWN again", folders: ["Café Crème"]),
                OPMLFeed(url: "https://planet.example.org/atom.xml", title: "Pl\u{E4}net", folders: ["Café Crème"]),
                OPMLFeed(url: "https://blog.example.net/feed/", title: nil, folders: []),
            ])
        // The web page link and the empty folder.
        #expect(list.withoutFeedURL == 2)
    }

    @Test func opml2AttributesTitleOverTextAndWhiteSpaceCollapsed() throws {
        let list = try read(
            """
            <opml version="2.0"><head/><body>
              <outline text="Folder
                 name"><outline text="short" title="  Long   title " xmlurl=" https://a.example/feed "/></outline>
            </body></opml>
            """
        ).get()
        #expect(list.feeds == [OPMLFeed(url: "https://a.example/feed", title: "Long title", folders: ["Folder name"])])
    }

    @Test(arguments: [
        ("", "not OPML: the file is empty"),
        (
            "<rss version=\"2.0\"><channel/></rss>",
            "not OPML: the root element is <rss>, not <opml> (it is a feed: add its URL as a [[source]] instead)"
        ),
        ("<html><body>hi</body></html>", "not OPML: the root element is <html>, not <opml>"),
        ("<opml version=\"2.0\"><head/></opml>", "not OPML: no <opml> element with a <body>"),
    ])
    func aFileThatIsNotOPMLIsAnError(text: String, message: String) {
        #expect(read(text) == .failure(ParseFailure(message)))
    }

    @Test func aBrokenFileIsAnErrorWithItsLineNotHalfAList() throws {
        let result = read(
            "<opml version=\"2.0\"><body>\n<outline text=\"a\" xmlUrl=\"https://a.example/\"/>\n<outline text=\"b\"\n")
        guard case .failure(let failure) = result else {
            Issue.record("a truncated file was read: \(result)")
            return
        }
        #expect(failure.message.hasPrefix("not well-formed XML at line "), "\(failure)")
    }

    @Test func anExternalEntityIsNeverRead() throws {
        let result = read(
            """
            <?xml version="1.0"?>
            <!DOCTYPE opml [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
            <opml version="2.0"><body>
            <outline text="Folder &leak;"><outline text="t&leak;" xmlUrl="https://evil.example/&leak;"/></outline>
            </body></opml>
            """)
        let list = try result.get()
        #expect(list.feeds.count == 1)
        let seen = list.feeds.map { "\($0.url) \($0.title ?? "") \($0.folders)" }.joined()
        #expect(!seen.contains("root:"), "\(seen)")
        #expect(list.feeds.first?.url == "https://evil.example/&leak;")
    }
}
