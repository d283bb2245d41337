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

    @Test func invalidBytesInUTF8BecomeReplacementCharacters() throws {
        var bytes = Array("<rss version=\"2.0\"><channel><title>caf\u{E9} ".utf8)
        bytes += [0xFF, 0xC3]
        bytes += Array(" ok</title></channel></rss>".utf8)
        let doc = try parse(bytes)
        #expect(doc.encoding == "utf-8")
        #expect(doc.metadata.title == "caf\u{E9} \u{FFFD}\u{FFFD} ok")
        #expect(!doc.wellFormed)
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
