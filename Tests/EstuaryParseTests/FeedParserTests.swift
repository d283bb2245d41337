import EstuaryCore
import EstuaryTestSupport
import Foundation
import Testing

@testable import EstuaryParse

@Suite struct FeedParserTests {
    func parse(_ text: String, url: String? = nil) throws -> FeedDocument {
        try FeedParser().parse(Array(text.utf8), documentURL: url.flatMap(URL.init(string:)), contentType: nil).get()
    }

    func failure(_ text: String) -> String? {
        if case .failure(let failure) = FeedParser().parse(Array(text.utf8), documentURL: nil, contentType: nil) {
            return failure.message
        }
        return nil
    }

    @Test func readsTheSeedWordPressFeed() throws {
        let doc = try FeedParser().parse(try Fixtures.demoFeed("wordpress-rss2.xml"), documentURL: nil, contentType: nil).get()
        let article = try Fixtures.seedArticle()
        #expect(doc.format == .rss20)
        #expect(doc.wellFormed)
        #expect(doc.metadata.title == "Photo Journal \u{2013} Joakim Persson")
        #expect(doc.metadata.link == "https://photo-journal.example.org")
        #expect(doc.metadata.language == "en-US")
        #expect(doc.metadata.updated.map(CivilTime.rfc3339) == "2017-12-04T09:15:22Z")
        #expect(doc.metadata.hints == SchedulingHints(ttlMinutes: nil, updatePeriod: "hourly", updateFrequency: 1))
        #expect(doc.items.count == 1)
        let item = doc.items[0]
        #expect(item.id == "https://photo-journal.example.org/?p=4711")
        #expect(item.title == article.title)
        #expect(item.author == "Joakim Persson")
        #expect(item.categories == ["Cambodia", "Human rights", "NGO"])
        #expect(item.published.map(CivilTime.rfc3339) == "2017-12-04T09:15:22Z")
        #expect(item.updated == nil)
        #expect(VisibleText.paragraphs(try #require(item.content)) == Array(article.paragraphs.prefix(10)))
        #expect(item.summary?.hasPrefix("Cambodian Center for Human Rights") == true)
    }

    @Test func readsTheSeedPlanetAtomFeedAndIgnoresTheEntrysSourceElement() throws {
        let doc = try FeedParser().parse(try Fixtures.demoFeed("planet-atom.xml"), documentURL: nil, contentType: nil).get()
        #expect(doc.format == .atom10)
        #expect(doc.metadata.title == "Asia Rights Planet")
        #expect(doc.metadata.link == "https://planet.example.net/")
        #expect(doc.metadata.id == "tag:planet.example.net,2017:/atom")
        #expect(doc.metadata.language == "en")
        let item = try #require(doc.items.first)
        #expect(item.id == "tag:planet.example.net,2017:entry/cchr-4711")
        #expect(item.title == "CCHR allowed continue promoting human rights in Cambodia")
        #expect(
            item.link
                == "https://photo-journal.example.org/2017/12/04/cchr-allowed-continue-promoting-human-rights-in-cambodia/?utm_source=planet&utm_medium=rss"
        )
        #expect(item.updated.map(CivilTime.rfc3339) == "2017-12-04T10:02:00Z")
        #expect(item.published.map(CivilTime.rfc3339) == "2017-12-04T09:15:22Z")
        #expect(item.author == "Joakim Persson")
        #expect(item.categories == ["Cambodia"])
    }

    @Test func atomTextConstructsFollowTheirType() throws {
        let doc = try parse(
            """
            <feed xmlns="http://www.w3.org/2005/Atom">
              <entry>
                <title type="html">Fish &amp;amp; &lt;b&gt;chips&lt;/b&gt;</title>
                <summary type="text">1 &lt; 2 &amp; 3</summary>
                <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hello <b>world</b></p><br/></div></content>
              </entry>
              <entry>
                <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">An <em>XHTML</em> title</div></title>
                <content type="html">&lt;p&gt;Escaped&lt;/p&gt;</content>
              </entry>
            </feed>
            """)
        #expect(doc.items[0].title == "Fish & chips")
        #expect(doc.items[0].summary == "1 &lt; 2 &amp; 3")
        #expect(doc.items[0].content == "<p>Hello <b>world</b></p><br>")
        #expect(doc.items[1].title == "An XHTML title")
        #expect(doc.items[1].content == "<p>Escaped</p>")
    }

    @Test func atomLinksPreferHTMLAlternatesAndResolveAgainstXMLBase() throws {
        let doc = try parse(
            """
            <feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://example.org/blog/">
              <link rel="self" href="/atom.xml"/>
              <link href="./"/>
              <entry xml:base="2024/">
                <link rel="alternate" type="application/pdf" href="post.pdf"/>
                <link rel="alternate" type="text/html" href="post.html"/>
                <link rel="alternate" type="text/html" href="second.html"/>
                <link rel="enclosure" type="audio/ogg" length="12" href="/media/a.ogg"/>
                <id>urn:x:1</id>
              </entry>
            </feed>
            """, url: "https://feeds.example.org/feed")
        #expect(doc.metadata.link == "https://example.org/blog/")
        #expect(doc.items[0].link == "https://example.org/blog/2024/post.html")
        #expect(doc.items[0].enclosures == [Enclosure(url: "https://example.org/media/a.ogg", type: "audio/ogg", length: 12)])
    }

    @Test func rssGuidIsTheLinkOnlyWhenItIsAPermalink() throws {
        let doc = try parse(
            """
            <rss version="2.0"><channel><title>T</title>
              <item><guid>https://example.org/a</guid><title>A</title></item>
              <item><guid isPermaLink="false">https://example.org/b</guid><title>B</title></item>
              <item><guid>https://example.org/c</guid><link>https://example.org/c.html</link></item>
            </channel></rss>
            """)
        #expect(doc.items.map(\.link) == ["https://example.org/a", nil, "https://example.org/c.html"])
        #expect(doc.items.map(\.id) == ["https://example.org/a", "https://example.org/b", "https://example.org/c"])
    }

    @Test func rssBodiesThatAreNotHTMLAreEscaped() throws {
        let doc = try parse(
            """
            <rss version="2.0"><channel>
              <item><title>x &lt; y</title><description>if x &lt; y then z</description></item>
              <item><title>&lt;b&gt;Bold&lt;/b&gt; move</title><description>&lt;p&gt;Para&lt;/p&gt;</description></item>
            </channel></rss>
            """)
        #expect(doc.items[0].title == "x < y")
        #expect(doc.items[0].summary == "if x &lt; y then z")
        #expect(doc.items[1].title == "Bold move")
        #expect(doc.items[1].summary == "<p>Para</p>")
    }

    @Test func channelImageTitleDoesNotReplaceTheFeedTitle() throws {
        let doc = try parse(
            """
            <rss version="2.0"><channel><title>Real</title><link>https://a.example/</link>
              <image><title>Logo</title><url>https://a.example/logo.png</url><link>https://elsewhere.example/</link></image>
            </channel></rss>
            """)
        #expect(doc.metadata.title == "Real")
        #expect(doc.metadata.link == "https://a.example/")
    }

    @Test func readsRSS10RDFItems() throws {
        let doc = try parse(
            """
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
                     xmlns:dc="http://purl.org/dc/elements/1.1/">
              <channel rdf:about="https://example.org/"><title>RDF</title><link>https://example.org/</link></channel>
              <item rdf:about="https://example.org/1"><title>One</title><link>https://example.org/1</link>
                <dc:date>2024-01-02T03:04:05Z</dc:date><dc:creator>Ann</dc:creator></item>
            </rdf:RDF>
            """)
        #expect(doc.format == .rss10)
        #expect(doc.metadata.title == "RDF")
        #expect(doc.items.count == 1)
        #expect(doc.items[0].id == "https://example.org/1")
        #expect(doc.items[0].author == "Ann")
        #expect(doc.items[0].updated.map(CivilTime.rfc3339) == "2024-01-02T03:04:05Z")
    }

    @Test func aTruncatedFeedKeepsTheItemsThatWereComplete() throws {
        let doc = try parse(
            """
            <?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
            <item><title>One</title><guid>1</guid></item>
            <item><title>Two</title><guid>2</guid></item>
            <item><title>Thr
            """)
        #expect(!doc.wellFormed)
        #expect(doc.items.map(\.title) == ["One", "Two"])
    }

    @Test func whitespaceBeforeTheDeclarationAndControlCharactersAreTolerated() throws {
        let doc = try parse(
            "\n  <?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>A\u{0}B\u{1}</title></item></channel></rss>")
        #expect(doc.items.first?.title == "AB")
    }

    @Test func readsADeclaredLegacyEncoding() throws {
        let doc = try FeedParser().parse(
            try Fixtures.demoFeed("harbour-podcast-rss2.xml"), documentURL: URL(string: "https://harbour.example.net/feed.xml"),
            contentType: nil
        ).get()
        #expect(doc.encoding == "iso-8859-1")
        #expect(doc.items[0].author == "Si\u{E2}n Prichard")
        #expect(doc.items[0].summary?.contains("Caf\u{E9} talk") == true)
        // A relative enclosure URL resolves against the document's URL.
        #expect(doc.items[1].enclosures.first?.url == "https://harbour.example.net/media/ep11.mp3")
    }

    @Test(arguments: [
        ("", "not a feed: the body is empty"),
        ("   \n", "not a feed: the body is empty"),
        ("<!DOCTYPE html><html><body>hi</body></html>", "not a feed: the body is an HTML page"),
        ("<opml version=\"2.0\"><body/></opml>", "not a feed: the root element is <opml>"),
        ("not xml at all", "not a feed: XML error at line 1"),
        ("{\"hello\": \"world\"}", "not a feed: JSON without a JSON Feed \"version\""),
        ("{\"version\": ", "not a feed: the body is not valid JSON"),
    ])
    func documentsThatAreNotFeedsAreErrorsNeverEmptyFeeds(text: String, message: String) {
        #expect(failure(text)?.hasPrefix(message) == true, "got \(String(describing: failure(text)))")
    }

    @Test func externalEntitiesAreNeverLoaded() throws {
        let doc = try parse(
            """
            <?xml version="1.0"?>
            <!DOCTYPE rss [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
            <rss version="2.0"><channel><item><title>x&leak;y</title></item></channel></rss>
            """)
        #expect(doc.items.first?.title?.contains("root:") == false)
    }

    @Test func internalEntityExpansionIsNotAmplified() throws {
        // One 10 KB entity referenced 1000 times: 10 MB if expanded. The zeroed SAX
        // handler never registers DTD entities, so nothing is expanded at all.
        let big = String(repeating: "A", count: 10_000)
        let refs = String(repeating: "&big;", count: 1000)
        let doc = try parse(
            """
            <?xml version="1.0"?>
            <!DOCTYPE rss [<!ENTITY big "\(big)">]>
            <rss version="2.0"><channel><item><title>t</title><description>\(refs)</description></item></channel></rss>
            """)
        #expect((doc.items.first?.summary?.utf8.count ?? 0) < 100_000)
    }

    @Test func attributeCharacterReferencesAreDecoded() {
        #expect(AttributeText.decode("a&#38;b&amp;c&#x3C;&lt;&unknown;") == "a&b&c<<&unknown;")
    }
}
