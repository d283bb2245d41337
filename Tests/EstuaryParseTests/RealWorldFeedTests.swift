import EstuaryCore
import Foundation
import Testing

@testable import EstuaryParse

/// What hand-written and misconfigured feeds do in the wild, read as feedparser reads it: found by
/// comparing Estuary with feedparser 6.0.11 on such feeds.
@Suite struct RealWorldFeedTests {
    func parse(_ text: String) throws -> FeedDocument {
        try FeedParser().parse(Array(text.utf8), documentURL: nil, contentType: nil).get()
    }

    /// Three items, the middle one (or the first) carrying what a hand-rolled feed leaves in it.
    func rss(_ first: String = "<title>one</title>", middle: String) -> String {
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><item>\(first)</item>"
            + "<item>\(middle)</item><item><title>three</title><description>after</description></item></channel></rss>"
    }

    /// An Atom feed of one entry holding `entry` besides its title and id.
    func atom(entry: String) -> String {
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title><entry><title>e</title><id>urn:e</id>\(entry)</entry></feed>"
    }

    /// A `<` that starts no markup is text; unclosed line breaks and images stay in their item.
    /// Before: the document ended at `5 < 6`, and `<br>` shifted item 3 into item 2.
    @Test(arguments: [
        ("<title>two</title><description>5 < 6</description>", "5 &lt; 6"),
        ("<title>two</title><description>I <3 it</description>", "I &lt;3 it"),
        ("<title>two</title><description>a <br> b</description>", "a <br> b"),
        ("<title>two</title><description>x <img src=\"http://e.example/i.png\"> y</description>", "<img"),
        ("<title>two</title><description>a <BR> b <hr class=\"x\"> c</description>", "b <hr class=\"x\"> c"),
    ])
    func strayMarkupKeepsEveryItem(middle: String, expected: String) throws {
        let document = try parse(rss(middle: middle))
        #expect(document.items.map(\.title) == ["one", "two", "three"])
        #expect(document.items[1].summary?.contains(expected) == true, "\(document.items[1].summary ?? "nil")")
        #expect(document.items[2].summary == "after")
    }

    /// Elements left open inside a description are closed where it ends, and an end tag that
    /// closes nothing goes; the items around them stay whole. Before: item 3 was swallowed by
    /// item 2, and `a</b> b` lost everything after `a`.
    @Test(arguments: [
        ("<title>two</title><description><p>para<p>para2</description>", "<p>para</p><p>para2</p>"),
        ("<title>two</title><description>a</b> b</description>", "a b"),
        ("<title>two</title><description>x <br / > y <br> z</description>", "x <br> y <br> z"),
        ("<title>two</title><description><P>upper</p> case</description>", "<p>upper</p> case"),
        // HTML's names ignore case: the end tag closes the element it names, not everything after it.
        (
            "<title>two</title><description><A HREF=\"http://e.example/\">link</a> and <P>para</p> <B>b</b> more</description>",
            "<a href=\"http://e.example/\">link</a> and <p>para</p> <b>b</b> more"
        ),
    ])
    func unbalancedMarkupKeepsEveryItem(middle: String, expected: String) throws {
        let document = try parse(rss(middle: middle))
        #expect(document.items.map(\.title) == ["one", "two", "three"])
        #expect(document.items[1].summary == expected)
        #expect(document.items[2].summary == "after")
    }

    /// A quote counts only as an attribute's value: the `'` of `<i don't know>` in text opened
    /// one that ran to the next item's `'`, and every item in between became escaped text.
    @Test func anApostropheInATagLikeTextOpensNoQuote() throws {
        let document = try parse(
            rss(middle: "<title>two</title><description>x <i don't know> y</description>")
                .replacingOccurrences(of: "<title>three</title>", with: "<title>it's three</title>"))
        #expect(document.items.map(\.title) == ["one", "two", "it's three"])
        #expect(document.items[1].summary?.contains("know") == true)
    }

    /// Thousands of `<br>` left open in one description, and a well-formed document nested deeper
    /// than the elements followed: every item kept, and the document unchanged.
    @Test func manyOpenBreaksAndDeepNestingKeepTheFeed() throws {
        let breaks = try parse(
            rss(middle: "<title>two</title><description>" + String(repeating: "x<br>", count: 5000) + "</description>"))
        #expect(breaks.items.map(\.title) == ["one", "two", "three"])
        #expect(breaks.items[1].summary?.hasPrefix("x<br>x<br>") == true)
        var deep = ""
        for level in 0..<5000 { deep += "<b\(level % 3)>" }
        deep += "x"
        for level in (0..<5000).reversed() { deep += "</b\(level % 3)>" }
        let text = "<rss version=\"2.0\"><channel><item><title>t</title><x>\(deep)</x></item></channel></rss>"
        #expect(EntityRepair.repair(Array(text.utf8)) == nil)
    }

    /// A well-formed document is never changed: elements named like HTML's void ones may have
    /// content in another vocabulary (`<img>URL</img>`), or a comment before their end tag.
    @Test(arguments: [
        "<img>http://e.example/a.jpg</img><description>da</description>",
        "<hr xmlns=\"urn:x\"><v>1</v></hr><description>da</description>",
        "<description>x<br><!-- c --></br>da</description>",
        "<description>x <img src=\"a.jpg\">caption</img> da</description>",
    ])
    func wellFormedVoidNamedElementsAreLeftAlone(middle: String) throws {
        let text = rss(middle: "<title>two</title>" + middle)
        #expect(EntityRepair.repair(Array(text.utf8)) == nil)
        let document = try parse(text)
        #expect(document.wellFormed)
        #expect(document.items[1].summary?.hasSuffix("da") == true, "\(document.items[1].summary ?? "nil")")
    }

    @Test func aLessThanInTheFirstTitleKeepsTheFeed() throws {
        let document = try parse(rss("<title>5 < 6 is true</title>", middle: "<title>two</title>"))
        #expect(document.items.map(\.title) == ["5 < 6 is true", "two", "three"])
    }

    /// XHTML writes empty elements with their end tag: left as they are, one line break each.
    @Test func closedVoidElementsAreLeftAlone() throws {
        let document = try parse(
            atom(
                entry: "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">a<br></br>b<br/>c"
                    + "<img src=\"http://e.example/i.png\"></img></div></content>"))
        #expect(document.items.first?.content == "a<br>b<br>c<img src=\"http://e.example/i.png\">")
        #expect(document.wellFormed)
    }

    /// Windows-1252's bytes by number, in XML and in escaped HTML, are its characters, not C1
    /// controls; `&#X41;` with an uppercase X is a reference too.
    @Test func windows1252ReferencesAreItsCharacters() throws {
        let document = try parse(
            rss(
                middle: "<title>Don&#146;t &#147;quote&#148; &#150; &#X41;</title>"
                    + "<description>don&amp;#146;t &lt;b&gt;&amp;#x93;b&amp;#x94;&lt;/b&gt;</description>"))
        #expect(document.items[1].title == "Don\u{2019}t \u{201C}quote\u{201D} \u{2013} A")
        #expect(document.items[1].summary == "don\u{2019}t <b>\u{201C}b\u{201D}</b>")
        #expect(Windows1252.character(forC1: 0x81) == nil)
        // The same characters as C1 controls in UTF-8 (windows-1252 read as Latin-1 upstream).
        let raw = try parse(rss(middle: "<title>Don\u{92}t \u{96} x\u{81}</title><description>\u{93}q\u{94}</description>"))
        #expect(raw.items[1].title == "Don\u{2019}t \u{2013} x\u{81}")
        #expect(raw.items[1].summary == "\u{201C}q\u{201D}")
        // In plain text (no markup, so no sanitizer) and in a sanitized attribute.
        let plain = try parse(
            atom(
                entry:
                    "<content type=\"text\">it\u{92}s</content><summary type=\"html\">&lt;img alt=\"it&amp;#146;s\" src=\"http://e.example/i.png\"&gt;</summary>"
            ))
        #expect(plain.items[0].content == "it\u{2019}s")
        #expect(plain.items[0].summary == "<img alt=\"it\u{2019}s\" src=\"http://e.example/i.png\">")
    }

    /// RSS 1.0 puts the image and the search box beside the channel: their titles are not the feed's.
    @Test func rdfImageAndTextInputTitlesAreNotTheFeedTitle() throws {
        let document = try parse(
            """
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
            <channel rdf:about="http://e.example/"><title>Real Title</title><link>http://e.example/</link>
            <description>Real</description></channel>
            <image rdf:about="http://e.example/logo.png"><title>Logo Alt</title><url>http://e.example/logo.png</url></image>
            <item rdf:about="http://e.example/1"><title>One</title><link>http://e.example/1</link></item>
            <textinput rdf:about="http://e.example/search"><title>Search Example</title><description>Search</description>
            <name>q</name><link>http://e.example/search</link></textinput>
            </rdf:RDF>
            """)
        #expect(document.metadata.title == "Real Title")
        #expect(document.metadata.link == "http://e.example/")
        #expect(document.metadata.logo == "http://e.example/logo.png")
        #expect(document.items.map(\.title) == ["One"])
    }

    /// Podcasts repeat their HTML show notes as plain text in itunes:summary, before or after the
    /// description: the notes are the summary; itunes:summary only stands in for a missing one.
    @Test func podcastShowNotesWinOverItunesSummary() throws {
        let notes = "<description><![CDATA[<p>Full <b>HTML</b> <a href=\"https://e.example/\">notes</a></p>]]></description>"
        let plain = "<itunes:summary>Full HTML notes</itunes:summary>"
        for body in [notes + plain, plain + notes] {
            let document = try parse(
                "<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"><channel>"
                    + "<item><title>e</title>\(body)</item><item><title>f</title>\(plain)</item></channel></rss>")
            #expect(document.items[0].summary == "<p>Full <b>HTML</b> <a href=\"https://e.example/\">notes</a></p>")
            #expect(document.items[1].summary == "Full HTML notes")
        }
    }

    /// Relation names are case-insensitive.
    @Test func uppercaseAlternateIsTheLink() throws {
        let document = try parse(
            atom(
                entry: "<link rel=\"ALTERNATE\" type=\"TEXT/HTML\" href=\"https://e.example/post\"/>"
                    + "<link rel=\"alternate\" type=\"application/json\" href=\"https://e.example/post.json\"/>"))
        #expect(document.items.first?.link == "https://e.example/post")
    }

    /// Titles, names and categories are plain text unless they show HTML as feedparser reads it (a
    /// known element's end tag, or an entity): programming titles and mail addresses keep their `<`.
    @Test(arguments: [
        ("<title><![CDATA[Why Option<T> beats null]]></title>", "Why Option<T> beats null"),
        ("<title>The &lt;details&gt; element</title>", "The <details> element"),
        ("<title>x&lt;y</title>", "x<y"),
        ("<title>Email &lt;jane@x.example&gt; wrote</title>", "Email <jane@x.example> wrote"),
        ("<title>&lt;b&gt;Bold&lt;/b&gt; move</title>", "Bold move"),
        ("<title>AT&amp;amp;T &amp;mdash; news</title>", "AT&T \u{2014} news"),
        ("<title>&lt;custom&gt;x&lt;/custom&gt;</title>", "<custom>x</custom>"),
    ])
    func plainTextFieldsKeepWhatOnlyLooksLikeATag(title: String, expected: String) throws {
        let document = try parse(rss(title, middle: "<title>two</title>"))
        #expect(document.items[0].title == expected)
    }

    @Test func authorsAndCategoriesKeepTheirAngleBrackets() throws {
        let document = try parse(
            "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><item><title>t</title>"
                + "<dc:creator>Jane Doe &lt;jane@example.com&gt;</dc:creator><category>C&lt;T&gt;</category>"
                + "<category>&lt;html&gt;</category></item></channel></rss>")
        #expect(document.items[0].author == "Jane Doe <jane@example.com>")
        #expect(document.items[0].categories == ["C<T>", "<html>"])
    }

    /// YouTube's feed: the video's Flash player in media:content is no attachment; the thumbnail
    /// and the page link are what remain.
    @Test func youTubeFlashPlayerIsNoEnclosure() throws {
        let document = try parse(
            """
            <feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"
                  xmlns:yt="http://www.youtube.com/xml/schemas/2015"><title>Channel</title>
            <entry><id>yt:video:abc</id><yt:videoId>abc</yt:videoId><title>Video</title>
            <link rel="alternate" href="https://www.youtube.com/watch?v=abc"/>
            <media:group><media:title>Video</media:title>
            <media:content url="https://www.youtube.com/v/abc?version=3" type="application/x-shockwave-flash" width="640"/>
            <media:description>What the video is about</media:description></media:group></entry></feed>
            """)
        let item = try #require(document.items.first)
        #expect(item.enclosures.isEmpty)
        #expect(item.link == "https://www.youtube.com/watch?v=abc")
        #expect(item.summary == "What the video is about")
    }
}
