import EstuaryCore
import Foundation
import Testing

@testable import EstuaryParse

/// The decode stage: which encoding wins, and what gets repaired.
@Suite struct DecodingTests {
    static let rss =
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Caf\u{E9} \u{201C}ok\u{201D}</title></channel></rss>"

    func parse(_ bytes: [UInt8], contentType: String? = nil) throws -> FeedDocument {
        try FeedParser().parse(bytes, documentURL: nil, contentType: contentType).get()
    }

    func encoded(_ text: String, _ encoding: String.Encoding, bom: [UInt8] = []) -> [UInt8] {
        bom + Array(text.data(using: encoding)!)
    }

    @Test func utf16WithAndWithoutBOM() throws {
        let le = try parse(encoded(Self.rss, .utf16LittleEndian, bom: [0xFF, 0xFE]))
        #expect(le.encoding == "utf-16le")
        #expect(le.metadata.title == "Caf\u{E9} \u{201C}ok\u{201D}")
        let be = try parse(encoded(Self.rss, .utf16BigEndian))
        #expect(be.encoding == "utf-16be")
        #expect(be.metadata.title == "Caf\u{E9} \u{201C}ok\u{201D}")
    }

    @Test func utf32WithBOM() throws {
        let doc = try parse(encoded(Self.rss, .utf32BigEndian, bom: [0x00, 0x00, 0xFE, 0xFF]))
        #expect(doc.encoding == "utf-32be")
        #expect(doc.metadata.title == "Caf\u{E9} \u{201C}ok\u{201D}")
    }

    @Test(arguments: [
        ("koi8-r", "\u{41F}\u{440}\u{438}\u{432}\u{435}\u{442}"),
        ("windows-1251", "\u{41F}\u{440}\u{438}\u{432}\u{435}\u{442}"),
        ("iso-8859-7", "\u{393}\u{3B5}\u{3B9}\u{3AC}"),
        ("shift_jis", "\u{65E5}\u{672C}\u{8A9E}"),
        ("euc-kr", "\u{D55C}\u{AD6D}\u{C5B4}"),
        ("big5", "\u{4E2D}\u{6587}"),
        ("gb2312", "\u{4E2D}\u{6587}"),
    ])
    func legacyEncodingsThroughIconv(name: String, title: String) throws {
        let xml =
            "<?xml version=\"1.0\" encoding=\"\(name)\"?><rss version=\"2.0\"><channel><title>\(title)</title></channel></rss>"
        let bytes = try #require(Iconv.encode(xml, to: name))
        let doc = try parse(bytes)
        #expect(doc.encoding == name)
        #expect(doc.metadata.title == title)
        #expect(doc.wellFormed)
    }

    /// Curly quotes, dashes and the euro sign from windows-1252 in a feed that says ISO-8859-1:
    /// read as the writer meant them (as browsers and feedparser do), not dropped as control characters.
    @Test func windows1252PunctuationInAFeedThatSaysLatin1() throws {
        var bytes = Array(
            #"<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>T</title><item><title>"#.utf8)
        bytes += [0x93] + Array("Quoted".utf8) + [0x94, 0x20, 0x96, 0x20, 0x80, 0x35, 0x20, 0xE9]
        bytes += Array("</title></item></channel></rss>".utf8)
        let document = try parse(bytes)
        #expect(document.encoding == "iso-8859-1")
        #expect(document.items.first?.title == "\u{201C}Quoted\u{201D} \u{2013} \u{20AC}5 \u{E9}")
    }

    @Test func theHTTPCharsetOutranksTheDeclaration() throws {
        let xml =
            "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss version=\"2.0\"><channel><title>\u{41F}</title></channel></rss>"
        let bytes = try #require(Iconv.encode(xml, to: "koi8-r"))
        let doc = try parse(bytes, contentType: "application/rss+xml; charset=KOI8-R")
        #expect(doc.encoding == "koi8-r")
        #expect(doc.metadata.title == "\u{41F}")
    }

    @Test func aWrongUTF8DeclarationIsCorrectedWhenTheBytesProveIt() throws {
        // Declared UTF-8, written in windows-1252: no valid multi-byte sequence anywhere.
        let xml =
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>caf\u{E9} \u{2014} na\u{EF}ve</title></channel></rss>"
        let doc = try parse(try #require(Iconv.encode(xml, to: "windows-1252")))
        #expect(doc.encoding == "windows-1252")
        #expect(doc.metadata.title == "caf\u{E9} \u{2014} na\u{EF}ve")
        #expect(!doc.wellFormed)
    }

    /// A broken or cut-off multi-byte sequence may be UTF-8 truncated mid-character, and a run of
    /// invalid bytes (an overlong `C0 80`, CESU-8 surrogates) is no windows-1252 text: U+FFFD, one
    /// per maximal invalid subpart.
    @Test func brokenSequencesInUTF8BecomeReplacementCharacters() throws {
        var bytes = Array("<rss version=\"2.0\"><channel><title>caf\u{E9} ".utf8)
        bytes += [0xC3, 0x20, 0xE2, 0x80, 0x20, 0xF0, 0x9F, 0x98, 0x20, 0xE0, 0x80, 0xC3, 0x20, 0xC0, 0x80, 0x20]
        bytes += [0xED, 0xA0, 0xBD, 0xFF, 0x92]
        bytes += Array("</title></channel></rss>".utf8)
        let doc = try parse(bytes)
        #expect(doc.encoding == "utf-8")
        #expect(
            doc.metadata.title
                == "caf\u{E9} \u{FFFD} \u{FFFD} \u{FFFD} \u{FFFD}\u{FFFD}\u{FFFD} \u{FFFD}\u{FFFD} "
                + String(repeating: "\u{FFFD}", count: 5))
        #expect(!doc.wellFormed)
    }

    /// An isolated byte that can never be part of UTF-8, in a feed that is otherwise UTF-8, came from
    /// windows-1252 (text pasted from Word, a Latin-1 database field): read as such. The five bytes
    /// windows-1252 leaves undefined stay U+FFFD.
    @Test func strayWindows1252BytesInUTF8AreReadAsWindows1252() throws {
        var bytes = Array("<rss version=\"2.0\"><channel><title>caf\u{E9}</title><item><title>It".utf8)
        bytes += [0x92] + Array("s ".utf8) + [0x93] + Array("q".utf8) + [0x94, 0x20, 0x96, 0x20, 0x80, 0x20, 0x85]
        bytes += [0x20, 0xA9, 0x20, 0xB0, 0x43, 0xBB, 0x20, 0xC0, 0x20, 0xC1, 0x20, 0xF5, 0x20, 0xFF, 0xC3, 0xA9]
        bytes += [0x20, 0x81, 0x20, 0x8D, 0x20, 0x8F, 0x20, 0x90, 0x20, 0x9D]
        bytes += Array("</title></item></channel></rss>".utf8)
        let doc = try parse(bytes)
        #expect(doc.encoding == "utf-8")
        #expect(doc.metadata.title == "caf\u{E9}")
        #expect(
            doc.items.first?.title
                == "It\u{2019}s \u{201C}q\u{201D} \u{2013} \u{20AC} \u{2026} \u{A9} \u{B0}C\u{BB} \u{C0} \u{C1} \u{F5} \u{FF}\u{E9} "
                + "\u{FFFD} \u{FFFD} \u{FFFD} \u{FFFD} \u{FFFD}")
        #expect(!doc.wellFormed)
    }

    /// Without a valid multi-byte sequence the bytes do not prove UTF-8: the whole document is
    /// read in windows-1252 as before, not repaired byte by byte.
    @Test func aStrayByteInAnASCIIDocumentIsReadAsWindows1252() throws {
        var bytes = Array("<rss version=\"2.0\"><channel><title>It".utf8)
        bytes += [0x92] + Array("s</title></channel></rss>".utf8)
        let doc = try parse(bytes)
        #expect(doc.encoding == "windows-1252")
        #expect(doc.metadata.title == "It\u{2019}s")
    }

    static let mislabelledTitle = "Caf\u{E9} \u{2013} it\u{2019}s \u{1F600}"

    /// Apache's AddDefaultCharset and old templates label UTF-8 as ISO-8859-1: bytes that are valid
    /// UTF-8 with multi-byte sequences are read as UTF-8 ("Café", not "CafÃ©"), whether the label
    /// comes from the HTTP charset or the XML declaration; the overruled label makes the feed
    /// not well-formed.
    @Test(
        arguments: [
            ("text/xml; charset=ISO-8859-1", nil),
            ("application/rss+xml; charset=\"latin1\"", "utf-8"),
            ("text/xml; charset=us-ascii", nil),
            ("application/xml; charset=windows-1252", nil),
            (nil, "ISO-8859-1"),
            (nil, "iso_8859-1"),
            (nil, "Windows-1252"),
            (nil, "cp1252"),
            (nil, "US-ASCII"),
            ("text/xml", "iso-8859-1"),
        ] as [(String?, String?)])
    func aUTF8BodyLabelledLatin1IsReadAsUTF8(contentType: String?, declared: String?) throws {
        let declaration = declared.map { "<?xml version=\"1.0\" encoding=\"\($0)\"?>" } ?? ""
        let xml =
            declaration
            + "<rss version=\"2.0\"><channel><title>\(Self.mislabelledTitle)</title><item><title>\u{E9}</title></item></channel></rss>"
        let doc = try parse(Array(xml.utf8), contentType: contentType)
        #expect(doc.encoding == "utf-8")
        #expect(doc.metadata.title == Self.mislabelledTitle)
        #expect(doc.items.map(\.title) == ["\u{E9}"])
        #expect(!doc.wellFormed)
    }

    /// Bytes that are not entirely valid UTF-8 keep their label, and ASCII (no multi-byte
    /// sequence) keeps it too; text/xml's us-ascii default over UTF-8 is no overruled statement.
    @Test func latin1LabelsStandWhereTheBytesAreNotUTF8() throws {
        let latin1 = try parse(
            try #require(
                Iconv.encode("<rss version=\"2.0\"><channel><title>caf\u{E9}</title></channel></rss>", to: "iso-8859-1")),
            contentType: "text/xml; charset=iso-8859-1")
        #expect(latin1.encoding == "iso-8859-1")
        #expect(latin1.metadata.title == "caf\u{E9}")
        #expect(latin1.wellFormed)

        // Mostly UTF-8 with one Latin-1 byte: the label wins, the whole document is Latin-1.
        var mixed = Array("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss version=\"2.0\"><channel><title>\u{E9}".utf8)
        mixed += [0xE9] + Array("</title></channel></rss>".utf8)
        let doc = try parse(mixed)
        #expect(doc.encoding == "iso-8859-1")
        #expect(doc.metadata.title == "\u{C3}\u{A9}\u{E9}")
        #expect(doc.wellFormed)

        let ascii = try parse(
            Array(
                "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss version=\"2.0\"><channel><title>t</title></channel></rss>"
                    .utf8))
        #expect(ascii.encoding == "iso-8859-1")
        #expect(ascii.wellFormed)

        let undeclared = try parse(
            Array("<rss version=\"2.0\"><channel><title>\(Self.mislabelledTitle)</title></channel></rss>".utf8),
            contentType: "text/xml")
        #expect(undeclared.encoding == "utf-8")
        #expect(undeclared.metadata.title == Self.mislabelledTitle)
        #expect(undeclared.wellFormed)
    }

    @Test func aDeclaredUTF16OverASCIIBytesIsIgnored() throws {
        let xml = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><channel><title>ascii</title></channel></rss>"
        let doc = try parse(Array(xml.utf8))
        #expect(doc.encoding == "utf-8")
        #expect(doc.metadata.title == "ascii")
    }

    @Test func htmlEntitiesAndBareAmpersandsAreRead() throws {
        let xml =
            "<rss version=\"2.0\"><channel><item><title>A&nbsp;B &hellip; caf&eacute; Fish & Chips &bogus; &amp;</title>"
            + "<description><![CDATA[<p>&nbsp;kept & as is</p>]]></description></item></channel></rss>"
        let doc = try parse(Array(xml.utf8))
        #expect(doc.items[0].title == "A\u{A0}B \u{2026} caf\u{E9} Fish & Chips &bogus; &")
        #expect(doc.items[0].summary == "<p>\u{A0}kept &amp; as is</p>")
        #expect(!doc.wellFormed)
    }

    /// libxml2 2.9 stops delivering `&amp;`, `&lt;` and the rest once it has recovered from an
    /// error: the references after one (an invalid character, a stray unclosed tag) still count.
    @Test func xmlsOwnReferencesSurviveARecoveredError() throws {
        let xml =
            "<rss version=\"2.0\"><channel><item><title>one &#x1;</title></item>"
            + "<item><title>AT&amp;T &lt;3</title><description>Q&amp;A: 5 &amp;lt; 6 &lt;p&gt;para&lt;/p&gt;</description></item>"
            + "<item><title>c</title><description>&lt;b&gt;bold&lt;/b&gt; &quot;q&quot; &apos;s</description></item>"
            + "</channel></rss>"
        let doc = try parse(Array(xml.utf8))
        #expect(doc.items.count == 3)
        #expect(doc.items.map(\.title) == ["one", "AT&T <3", "c"])
        #expect(doc.items[1].summary == "Q&amp;A: 5 &lt; 6 <p>para</p>")
        #expect(doc.items[2].summary == "<b>bold</b> \"q\" 's")
        #expect(!doc.wellFormed)
    }

    /// A reference to a character XML forbids is an error with no event after it: the reference
    /// right behind it must still arrive (the forbidden one is dropped, as libxml2 drops it).
    @Test(arguments: ["&#x1;", "&#0;", "&#xD800;", "&#xFFFE;", "&#1114112;"])
    func aReferenceRightAfterAForbiddenCharacterStillCounts(_ forbidden: String) throws {
        let xml = "<rss version=\"2.0\"><channel><item><title>Q\(forbidden)&amp;A &lt;3</title></item></channel></rss>"
        let doc = try parse(Array(xml.utf8))
        #expect(doc.items.first?.title == "Q&A <3")
        #expect(!doc.wellFormed)
    }

    @Test func junkBeforeTheDocumentAndAfterTheRootIsTolerated() throws {
        let xml =
            "garbage\n<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>t</title></item></channel></rss>trailing junk"
        let doc = try parse(Array(xml.utf8))
        #expect(doc.items.map(\.title) == ["t"])
        #expect(!doc.wellFormed)
    }

    static let phpWarning =
        "<br />\n<b>Warning</b>:  Cannot modify header information - headers already sent by (output started at "
        + "/var/www/x.php:3) in <b>/var/www/x.php</b> on line <b>12</b><br />\n"

    static let xdebugWarning =
        "<br />\n<font size='1'><table class='xdebug-error xe-warning' dir='ltr' border='1' cellspacing='0' cellpadding='1'>\n"
        + "<tr><th align='left' bgcolor='#f57900' colspan=\"5\"><span style='background-color: #cc0000;'>( ! )</span> "
        + "Warning: Undefined variable $x in /var/www/x.php on line <i>3</i></th></tr>\n"
        + "<tr><td bgcolor='#eeeeec' align='center'>1</td><td bgcolor='#eeeeec'>{main}(  )</td>"
        + "<td title='/var/www/x.php' bgcolor='#eeeeec'>.../x.php<b>:</b>0</td></tr>\n</table></font>\n"

    static let feedWithXMLInContent =
        "<rss version=\"2.0\"><channel><item><title>t</title>"
        + "<description><![CDATA[<p>Start with</p><pre><?xml version=\"1.0\"?></pre>]]></description></item></channel></rss>"

    /// A PHP script that printed a warning before its feed: the document starts at its XML
    /// declaration, or at its root when it has none, as feedparser reads it.
    @Test(arguments: [
        (phpWarning, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"),
        (phpWarning, ""),
        (phpWarning + phpWarning, "<?xml\tversion=\"1.0\"?>"),
        (xdebugWarning, "<?xml version=\"1.0\"?>"),
        (xdebugWarning, ""),
        ("Notice: Undefined index: id in <b>/var/www/x.php</b> on line <b>7</b><br />", "<?xml version=\"1.0\"?>"),
        ("Parse error: unexpected '<' in <b>x.php</b>\n<br>", "<?xml version=\"1.0\"?>"),
    ])
    func aServerWarningBeforeTheDocumentIsDropped(warning: String, declaration: String) throws {
        let doc = try parse(Array((warning + declaration + Self.feedWithXMLInContent).utf8))
        #expect(doc.items.map(\.title) == ["t"])
        #expect(doc.items.first?.summary?.hasPrefix("<p>Start with</p>") == true)
        #expect(!doc.wellFormed)
    }

    /// `<?xml` after a document's first element is content, never a declaration to start from:
    /// a document that opens with anything but a warning's tags is left as it is.
    @Test(arguments: [
        feedWithXMLInContent,
        "<?xml-stylesheet type=\"text/xsl\" href=\"feed.xsl\"?>\n" + feedWithXMLInContent,
        "<!-- not the declaration: <?xml version=\"1.0\"?> -->\n" + feedWithXMLInContent,
        "<!DOCTYPE rss>\n" + feedWithXMLInContent,
    ])
    func anXMLDeclarationInsideTheDocumentIsLeftAlone(xml: String) throws {
        let doc = try parse(Array(xml.utf8))
        #expect(doc.items.map(\.title) == ["t"])
        #expect(doc.items.first?.summary?.hasPrefix("<p>Start with</p>") == true)
        #expect(doc.wellFormed)
    }

    /// Behind an element that is not a warning's (`<html>`, here), a later `<?xml` is not looked
    /// for: the document is what it was, a page rather than a feed.
    @Test func aPageWithAnXMLSampleIsNotCutAtTheSample() {
        let page = "<html><body><p>Example:</p><pre><?xml version=\"1.0\"?><rss version=\"2.0\"></rss></pre></body></html>"
        let result = FeedParser().parse(Array(page.utf8), documentURL: nil, contentType: nil)
        guard case .failure(let failure) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.isHTMLPage)
    }

    @Test func anUnboundPrefixIsTolerated() throws {
        let xml = "<rss version=\"2.0\"><channel><item><title>t</title><foo:bar>x</foo:bar></item></channel></rss>"
        let doc = try parse(Array(xml.utf8))
        #expect(doc.items.map(\.title) == ["t"])
    }

    @Test func aDocumentOverTheLimitIsRefusedBeforeParsing() {
        let parser = FeedParser(maxBytes: 100)
        let result = parser.parse(Array(repeating: 0x20, count: 101), documentURL: nil, contentType: nil)
        guard case .failure(let failure) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.message.hasPrefix("read: the document is larger than 100 bytes"))
    }
}

extension Iconv {
    /// UTF-8 text in another encoding, for building test documents.
    static func encode(_ text: String, to encoding: String) -> [UInt8]? {
        let converter = iconv_open(encoding, "UTF-8")
        guard converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var input = Array(text.utf8)
        var output = [UInt8](repeating: 0, count: input.count * 4 + 16)
        let written: Int? = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuffer.baseAddress!).assumingMemoryBound(
                    to: CChar.self)
                var inLeft = inBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress!)
                    .assumingMemoryBound(to: CChar.self)
                var outLeft = outBuffer.count
                guard iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) != -1 else { return nil }
                return outBuffer.count - outLeft
            }
        }
        return written.map { Array(output[..<$0]) }
    }
}
