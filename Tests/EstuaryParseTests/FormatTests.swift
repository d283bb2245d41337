import EstuaryCore
import Foundation
import Testing

@testable import EstuaryParse

/// Every format Estuary reads, detected from the content.
@Suite struct FormatTests {
    func parse(_ text: String, url: String? = nil) throws -> FeedDocument {
        try FeedParser().parse(Array(text.utf8), documentURL: url.flatMap(URL.init(string:)), contentType: nil).get()
    }

    @Test(arguments: [
        ("<rss version=\"0.91\"><channel><title>T</title><item><title>I</title></item></channel></rss>", FeedFormat.rss091),
        ("<rss version=\"0.92\"><channel><item><title>I</title></item></channel></rss>", .rss092),
        ("<rss version=\"0.93\"><channel><item><title>I</title></item></channel></rss>", .rss093),
        ("<rss version=\"0.94\"><channel><item><title>I</title></item></channel></rss>", .rss094),
        ("<rss version=\"2.0\"><channel><item><title>I</title></item></channel></rss>", .rss20),
        (
            "<rss xmlns=\"http://backend.userland.com/rss2\" version=\"2.0\"><channel><item><title>I</title></item></channel></rss>",
            .rss20
        ),
        (
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://my.netscape.com/rdf/simple/0.9/\">"
                + "<channel><title>T</title></channel><item><title>I</title></item></rdf:RDF>", .rss090
        ),
        (
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">"
                + "<channel><title>T</title></channel><item><title>I</title></item></rdf:RDF>", .rss10
        ),
        ("<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><entry><title>I</title></entry></feed>", .atom03),
        ("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>I</title></entry></feed>", .atom10),
        ("{\"version\": \"https://jsonfeed.org/version/1\", \"items\": [{\"id\": 1, \"title\": \"I\"}]}", .json10),
        ("{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": [{\"id\": \"1\", \"title\": \"I\"}]}", .json11),
    ])
    func detectsTheFormatFromTheContent(text: String, format: FeedFormat) throws {
        let doc = try parse(text)
        #expect(doc.format == format)
        #expect(doc.items.first?.title == "I")
    }

    @Test func readsJSONFeed() throws {
        let doc = try parse(
            """
            {"version": "https://jsonfeed.org/version/1.1", "title": "J", "home_page_url": "https://j.example/",
             "feed_url": "https://j.example/feed.json", "authors": [{"name": "Ann"}],
             "items": [
               {"id": 7, "url": "/7", "title": "Seven", "content_html": "<p onclick=\\"x()\\">Hi <a href=\\"javascript:x\\">there</a></p>",
                "summary": "a < b", "date_published": "2024-01-02T03:04:05+01:00", "date_modified": "2024-01-03T00:00:00Z",
                "tags": ["x", "y"], "attachments": [{"url": "/7.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 99}]},
               {"id": "8", "title": "nul \\u0000 inside", "content_text": "plain & simple", "author": {"name": "Bob"}}
             ]}
            """)
        #expect(doc.metadata.title == "J")
        #expect(doc.metadata.link == "https://j.example/")
        let first = doc.items[0]
        #expect(first.id == "7")
        #expect(first.link == "https://j.example/7")
        #expect(first.author == "Ann")
        #expect(first.content == "<p>Hi <a>there</a></p>")
        #expect(first.summary == "a &lt; b")
        #expect(first.published.map(CivilTime.rfc3339) == "2024-01-02T02:04:05Z")
        #expect(first.updated.map(CivilTime.rfc3339) == "2024-01-03T00:00:00Z")
        #expect(first.categories == ["x", "y"])
        #expect(first.enclosures == [Enclosure(url: "https://j.example/7.mp3", type: "audio/mpeg", length: 99)])
        #expect(doc.items[1].content == "plain &amp; simple")
        #expect(doc.items[1].author == "Bob")
        // U+0000 goes: SQLite's text reads would end there.
        #expect(doc.items[1].title == "nul  inside")
    }

    /// Half an emoji escaped alone (a title cut by a length limit) is U+FFFD, as browsers read it,
    /// and the rest of the feed is kept; a whole pair and an escaped backslash stay as they are.
    @Test func aLoneSurrogateEscapeInJSONFeedIsReadAsAReplacementCharacter() throws {
        let doc = try parse(
            #"""
            {"version": "https://jsonfeed.org/version/1.1", "title": "J",
             "items": [{"id": "1", "title": "cut \ud83d", "content_text": "whole \ud83d\ude00 and \\ud83d"},
                       {"id": "2", "title": "low \ude00 first"}]}
            """#)
        #expect(doc.items.count == 2)
        #expect(doc.items[0].title == "cut \u{FFFD}")
        #expect(doc.items[0].content == "whole \u{1F600} and \\ud83d")
        #expect(doc.items[1].title == "low \u{FFFD} first")
    }

    @Test func readsPodcastAndMediaElements() throws {
        let doc = try parse(
            """
            <rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:media="http://search.yahoo.com/mrss/">
            <channel><title>P</title>
              <image><url>https://p.example/logo.png</url><title>Logo title</title><link>https://p.example/</link></image>
              <skipHours><hour>0</hour><hour>1</hour></skipHours><skipDays><day>Sunday</day></skipDays>
              <item>
                <itunes:author>Host</itunes:author>
                <itunes:summary>Summary &lt;b&gt;bold&lt;/b&gt;</itunes:summary>
                <itunes:category text="Technology"/>
                <media:group>
                  <media:content url="https://p.example/a.mp4" type="video/mp4" fileSize="1234"/>
                  <media:title>Group title</media:title>
                </media:group>
                <media:content url="https://p.example/b.mp3" type="audio/mpeg"/>
              </item>
            </channel></rss>
            """)
        #expect(doc.metadata.title == "P")
        #expect(doc.metadata.logo == "https://p.example/logo.png")
        #expect(doc.metadata.hints.skipHours == [0, 1])
        #expect(doc.metadata.hints.skipDays == ["sunday"])
        let item = doc.items[0]
        #expect(item.author == "Host")
        #expect(item.title == "Group title")
        #expect(item.summary == "Summary <b>bold</b>")
        #expect(item.categories == ["Technology"])
        #expect(item.enclosures.map(\.url) == ["https://p.example/a.mp4", "https://p.example/b.mp3"])
        #expect(item.enclosures.first?.length == 1234)
    }

    @Test func atomFeedIconLogoAndBase64Content() throws {
        let doc = try parse(
            """
            <feed xmlns="http://www.w3.org/2005/Atom"><icon>/i.png</icon><logo>/l.png</logo>
              <entry><id>https://a.example/1</id><content type="application/octet-stream">PHA+SGk8L3A+</content></entry>
            </feed>
            """, url: "https://a.example/feed")
        #expect(doc.metadata.icon == "https://a.example/i.png")
        #expect(doc.metadata.logo == "https://a.example/l.png")
        // No alternate link: an id that is a web address stands in.
        #expect(doc.items[0].link == "https://a.example/1")
        #expect(doc.items[0].content == "&lt;p&gt;Hi&lt;/p&gt;")
    }

    @Test func relativeURLsInBodiesResolveAgainstXMLBase() throws {
        let doc = try parse(
            """
            <feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example/blog/">
              <entry><content type="html" xml:base="posts/">&lt;a href="2.html"&gt;next&lt;/a&gt; &lt;img src="/i.png"&gt;</content></entry>
            </feed>
            """)
        #expect(
            doc.items[0].content
                == "<a href=\"https://a.example/blog/posts/2.html\">next</a> <img src=\"https://a.example/i.png\">")
    }

    @Test func laterRepeatedElementsWinAndNestedUnknownElementsDoNotLeak() throws {
        let doc = try parse(
            """
            <feed xmlns="http://www.w3.org/2005/Atom"><entry>
              <title>Right</title><image><title>Wrong</title></image>
              <updated>2003-12-31T10:14:55Z</updated><updated>2004-01-01T00:00:00Z</updated>
            </entry></feed>
            """)
        #expect(doc.items[0].title == "Right")
        #expect(doc.items[0].updated.map(CivilTime.rfc3339) == "2004-01-01T00:00:00Z")
    }

    /// Atom content whose type says text (or is missing, or names a MIME type) but which holds
    /// elements comes out as those elements' markup: it is sanitized like declared HTML.
    @Test(arguments: [
        "<content type=\"text\"><img src=\"x\" onerror=\"alert(1)\"/></content>",
        "<content><script>alert(1)</script><p>kept</p></content>",
        "<content type=\"image/png\"><a href=\"javascript:alert(1)\">x</a></content>",
        "<content type=\"text/csv\"><iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"/></content>",
        "<summary type=\"text/plain\"><svg onload=\"alert(1)\"/></summary>",
    ])
    func atomTextWithElementsIsSanitized(element: String) throws {
        let document = try parse(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title><id>urn:a</id>"
                + "<entry><title>e</title><id>urn:a1</id>\(element)</entry></feed>")
        let item = try #require(document.items.first)
        let body = (item.content ?? "") + (item.summary ?? "")
        for unsafe in ["onerror", "<script", "javascript:", "<iframe", "srcdoc", "<svg", "onload"] {
            #expect(!body.contains(unsafe), "\(element) gave \(body)")
        }
        if element.contains("<p>kept</p>") { #expect(body.contains("<p>kept</p>")) }
    }
}

/// The XML layer alone, without the decode stage's entity repair in front of it:
/// libxml2 itself must refuse external entities and never expand DTD entities.
@Suite struct XMLLayerSafetyTests {
    func parseRaw(_ text: String) -> FeedBuilder {
        let builder = FeedBuilder(documentURL: nil)
        let parser = PushParser(receiver: builder)!
        Array(text.utf8).withUnsafeBufferPointer { parser.feed($0, last: true) }
        return builder
    }

    @Test func externalEntitiesAreRefusedByTheLoader() {
        let builder = parseRaw(
            "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
                + "<rss version=\"2.0\"><channel><item><title>a&xxe;b</title></item></channel></rss>")
        #expect(builder.items.first?.title?.contains("root:") == false)
    }

    @Test func internalEntitiesAreNeverExpanded() {
        let big = String(repeating: "A", count: 50_000)
        let builder = parseRaw(
            "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY big \"\(big)\">]><rss version=\"2.0\"><channel><item>"
                + "<title>t</title><description>" + String(repeating: "&big;", count: 4000)
                + "</description></item></channel></rss>")
        #expect((builder.items.first?.summary?.utf8.count ?? 0) < 1000)
    }

    /// Nesting past FeedBuilder.maxDepth ends the parse with the items read so far: libxml2's push
    /// parser sets no depth limit, and a 15 MB feed of `<a>` held 600 MB.
    @Test func nestingPastTheLimitEndsTheParseKeepingTheItemsRead() throws {
        let deep = String(repeating: "<a>", count: FeedBuilder.maxDepth + 10)
        let text =
            "<rss version=\"2.0\"><channel><item><title>kept</title></item><item><title>t</title>\(deep)</item></channel></rss>"
        let document = try FeedParser().parse(Array(text.utf8), documentURL: nil, contentType: nil).get()
        #expect(document.items.map(\.title) == ["kept"])
        #expect(!document.wellFormed)
    }

    @Test func billionLaughsIsNotExpanded() {
        var dtd = "<!ENTITY lol \"lol\">"
        for level in 1...9 {
            let previous = level == 1 ? "lol" : "lol\(level - 1)"
            dtd += "<!ENTITY lol\(level) \"" + String(repeating: "&\(previous);", count: 10) + "\">"
        }
        let builder = parseRaw(
            "<!DOCTYPE rss [\(dtd)]><rss version=\"2.0\"><channel><item><title>&lol9;</title></item></channel></rss>")
        #expect((builder.items.first?.title ?? "").utf8.count < 100)
    }
}
