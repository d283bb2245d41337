import Foundation
import Testing

@testable import EstuaryParse

@Suite struct SanitizerTests {
    let base = URL(string: "https://blog.example/posts/1/")

    func clean(_ html: String) -> String { HTMLSanitizer.sanitize(html, base: base) }

    @Test(arguments: [
        // Active elements go, with their content.
        ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
        ("<style>p{color:red}</style><p>x</p>", "<p>x</p>"),
        ("x<svg><circle onload=alert(1)/></svg>y", "xy"),
        ("x<math><mi>y</mi></math>z", "xz"),
        // Containers of fallback content lose their tags, keep their text.
        ("<iframe src=\"https://evil.example/\">fallback</iframe>", "fallback"),
        ("<object data=\"x.swf\"><p>no plugin</p></object>", "<p>no plugin</p>"),
        ("<form action=\"/steal\"><input name=\"a\">text</form>", "text"),
        ("<embed src=\"x.swf\"> after", "after"),
        ("<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">ok", "ok"),
        // Attributes: event handlers and styles go.
        (
            "<img src=\"a.png\" onerror=\"alert(1)\" style=\"position:fixed\" alt=\"A\">",
            "<img src=\"https://blog.example/posts/1/a.png\" alt=\"A\">"
        ),
        ("<p ONCLICK=\"x()\" class=\"c\">t</p>", "<p class=\"c\">t</p>"),
        // Dangerous URLs go, however they are spelled.
        ("<a href=\"javascript:alert(1)\">x</a>", "<a>x</a>"),
        ("<a href=\"JaVaScRiPt:alert(1)\">x</a>", "<a>x</a>"),
        ("<a href=\"&#106;avascript:alert(1)\">x</a>", "<a>x</a>"),
        ("<a href=\"&#x6A;&#x61;vascript:alert(1)\">x</a>", "<a>x</a>"),
        ("<a href=\"jav&#x09;ascript:alert(1)\">x</a>", "<a>x</a>"),
        ("<a href=\"jav\nascript:alert(1)\">x</a>", "<a>x</a>"),
        ("<a href=\" javascript:alert(1)\">x</a>", "<a>x</a>"),
        ("<a href=\"vbscript:msgbox(1)\">x</a>", "<a>x</a>"),
        ("<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">", "<img>"),
        ("<a href=\"file:///etc/passwd\">x</a>", "<a>x</a>"),
        // Good URLs stay; relative ones resolve against the base.
        ("<a href=\"https://a.example/?q=1&amp;r=2\">x</a>", "<a href=\"https://a.example/?q=1&amp;r=2\">x</a>"),
        ("<a href=\"mailto:me@example.org\">m</a>", "<a href=\"mailto:me@example.org\">m</a>"),
        ("<a href=\"../2/\">prev</a>", "<a href=\"https://blog.example/posts/2/\">prev</a>"),
        // Comments go; text is re-escaped; entities become characters.
        ("a<!-- <script>x</script> -->b", "ab"),
        ("1 &lt; 2 &amp;&amp; caf&eacute; &#8217;", "1 &lt; 2 &amp;&amp; café \u{2019}"),
        ("<blink>safe</blink> text", "safe text"),
        // A stray end tag closes nothing of the sanitizer's own: what follows it stays.
        ("<p>one</div><p>two</p>", "<p>one</p><p>two</p>"),
        ("</div>after <b>bold</b>", "after <b>bold</b>"),
        // Loose text is not wrapped in an implied paragraph.
        ("loose <b>text</b>", "loose <b>text</b>"),
        // The body cannot end the sanitizer's own wrapper either.
        ("a</estuary-fragment>b", "ab"),
        ("<b>a</ESTUARY-FRAGMENT>b</b>c", "<b>ab</b>c"),
        // A <meta charset> in the body (a pasted page) does not re-decode the rest of it.
        (
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"><p>café “q”</p>",
            "<p>café “q”</p>"
        ),
        ("<meta charset=\"UTF-7\">+ADw-b+AD4-x", "+ADw-b+AD4-x"),
    ])
    func sanitizes(input: String, expected: String) {
        #expect(clean(input) == expected)
    }

    @Test func plainTextPassesUntouched() {
        #expect(clean("No markup here") == "No markup here")
    }

    /// One writer serves every body of a document: nothing of one body may reach the next.
    @Test func reusedWriterCarriesNothingOver() {
        let writer = SanitizingWriter()
        let unsafeBase = URL(string: "javascript:alert(1)//")
        #expect(HTMLSanitizer.sanitize("<p><script>never closed", base: unsafeBase, writer: writer) == "<p></p>")
        #expect(
            HTMLSanitizer.sanitize("<a href=\"x\">t</a>", base: base, writer: writer)
                == "<a href=\"https://blog.example/posts/1/x\">t</a>")
        #expect(HTMLSanitizer.sanitize("<a href=\"x\">t</a>", base: unsafeBase, writer: writer) == "<a>t</a>")
        #expect(HTMLSanitizer.sanitize("<svg><g>", base: base, writer: writer) == "")
        #expect(HTMLSanitizer.sanitize("<b>x</b>", base: base, writer: writer) == "<b>x</b>")
    }

    /// Titles as plain text: entities decoded, tags and scripts gone, and nothing of the wrapper
    /// shows (a misplaced <!DOCTYPE> makes libxml2 read the next end tag as text).
    @Test func plainTextOfHTMLTitles() {
        #expect(HTMLText.plainText("AT&amp;T <b>news</b></div> and more") == "AT&T news and more")
        #expect(HTMLText.plainText("caf&eacute;<script>x()</script>!") == "café!")
        #expect(HTMLText.plainText("Title<!DOCTYPE html>") == "Title")
        #expect(HTMLText.plainText("<meta charset=\"windows-1252\">café") == "café")
    }

    /// Random tag soup (a fixed seed, so every run tests the same 3000 fragments): whatever libxml2
    /// makes of it, what comes out is only allowed elements with allowed attributes, every URL
    /// relative or of an allowed scheme as a browser would read it, and text. Checked against the
    /// lists, not against a list of what is forbidden.
    @Test func randomTagSoupComesOutInert() throws {
        var generator = SoupGenerator(seed: 2026)
        let tag = try Regex(#"<(/?)([^\s>/]+)((?:\s+[^\s=>]+="[^"]*")*)>"#)
        let attribute = try Regex(#"\s+([^\s=>]+)="([^"]*)""#)
        for _ in 0..<3000 {
            let input = generator.fragment(depth: 0)
            let output = clean(input)
            var rest = Substring(output)
            while let match = rest.firstMatch(of: tag) {
                #expect(!rest[..<match.range.lowerBound].contains("<"), "a < outside a tag in \(output) from \(input)")
                let name = String(match.output[2].substring ?? "")
                #expect(HTMLSanitizer.allowedElements.contains(name), "<\(name)> in \(output) from \(input)")
                #expect(!Self.neverAllowedElements.contains(name), "<\(name)> in \(output) from \(input)")
                for pair in (match.output[3].substring ?? "").matches(of: attribute) {
                    let key = String(pair.output[1].substring ?? "")
                    let value = String(pair.output[2].substring ?? "")
                    #expect(HTMLSanitizer.allowedAttributes.contains(key), "\(key)= in \(output) from \(input)")
                    #expect(
                        !key.hasPrefix("on") && !Self.neverAllowedAttributes.contains(key),
                        "\(key)= in \(output) from \(input)")
                    if HTMLSanitizer.urlAttributes.contains(key) {
                        #expect(
                            Self.browserScheme(of: value).map(HTMLSanitizer.allowedSchemes.contains) ?? true,
                            "\(key)=\"\(value)\" in \(output) from \(input)")
                    }
                }
                rest = rest[match.range.upperBound...]
            }
            #expect(!rest.contains("<"), "a < outside a tag in \(output) from \(input)")
        }
    }

    /// Elements and attributes that must never come out, whatever the allow-lists say: a second
    /// opinion, so that a mistake in the lists themselves fails the test too.
    private static let neverAllowedElements: Set<String> = [
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input", "button",
        "textarea", "select", "option", "meta", "link", "base", "svg", "math", "template", "noscript", "plaintext",
        "xmp", "title", "head", "html", "body", "estuary-fragment",
    ]
    private static let neverAllowedAttributes: Set<String> = ["style", "srcdoc", "formaction", "action", "xmlns"]

    /// A URL's scheme as a browser reads an attribute value written by the sanitizer: entities
    /// decoded, ASCII white space and control characters dropped, lowercased; nil when relative.
    /// Written apart from the sanitizer's own check, so that a mistake there cannot hide here.
    private static func browserScheme(of value: String) -> String? {
        let decoded = value.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        let kept = decoded.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F }
        let text = String(String.UnicodeScalarView(kept)).lowercased()
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let head = text[..<colon]
        return head.isEmpty || head.contains(where: { "/?#".contains($0) }) ? nil : String(head)
    }

    @Test func deeplyNestedInputStaysBounded() {
        let html = String(repeating: "<div>", count: 5000) + "x" + String(repeating: "</div>", count: 5000)
        let out = clean(html)
        #expect(out.utf8.count < 5000 * 11)
    }
}

/// Deterministic tag soup for ``SanitizerTests/randomTagSoupComesOutInert()``.
private struct SoupGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    private mutating func next(_ bound: Int) -> Int {
        // SplitMix64: enough randomness for test inputs, the same on every run.
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }

    private mutating func pick(_ choices: [String]) -> String { choices[next(choices.count)] }

    private static let tags = [
        "p", "div", "span", "b", "a", "img", "br", "table", "td", "li", "script", "style", "svg", "math", "iframe",
        "object", "form", "body", "html", "head", "title", "meta", "link", "base", "noscript", "template", "select",
        "textarea", "pre", "frameset", "input", "button", "video", "source", "xmp", "plaintext", "estuary-fragment",
        "ESTUARY-FRAGMENT", "SCRIPT", "A", "Img",
    ]
    private static let attributes = [
        #"href="x""#, #"href="javascript:alert(1)""#, #"href=" JaVa&#x09;script:x""#, #"src="data:text/html,x""#,
        #"onclick="x()""#, #"onerror=x"#, #"style="c""#, #"class="k""#, #"href="https://e.example/?a=1&amp;b=2""#,
        "autofocus", "href=\"java\tscript:x\"", #"HREF="JAVASCRIPT:x""#, #"src=" &#x20;data:x""#,
        #"href="&#106;avascript:x""#, #"href="//evil.example/""#, #"href="mailto:a@b.example""#,
        #"ONMOUSEOVER="x""#, #"poster="vbscript:x""#, #"cite="https://c.example/""#,
    ]
    private static let words = ["alpha", "&amp;", "&lt;script&gt;", "&nbsp;", "&eacute;", "café", "<!-- c -->", "x"]

    mutating func fragment(depth: Int) -> String {
        var out = ""
        for _ in 0..<(1 + next(5)) {
            switch next(100) {
            case 0..<35: out += pick(Self.words)
            case 35..<75 where depth < 5:
                let tag = pick(Self.tags)
                let attribute = next(2) == 0 ? " " + pick(Self.attributes) : ""
                out += "<\(tag)\(attribute)>" + fragment(depth: depth + 1) + (next(5) < 4 ? "</\(tag)>" : "")
            case 75..<88: out += "</\(pick(Self.tags))>"
            default: out += "<\(pick(Self.tags))>"
            }
        }
        return out
    }
}
