import Testing

@testable import EstuaryCore

@Suite struct RelativeLinksTests {
    @Test(arguments: [
        ("/media/a.mp3", true), ("posts/1", true), ("../about", true), ("//cdn.example/x.png", true),
        (" img/a.png", true), ("https://a.example/x", false), ("HTTP://a.example/", false), ("mailto:a@b.example", false),
        ("tag:a.example,2024:1", false), ("#top", false), ("", false),
    ])
    func aReferenceWithoutASchemeIsRelative(reference: String, relative: Bool) {
        #expect(FeedDocument.isRelative(reference) == relative)
    }

    @Test(arguments: [
        ("<p><img alt=\"a\" src=\"/img/a.png\" /></p>", true), ("<a href=\"../about\">x</a>", true),
        ("<a href=\"https://a.example/\">x</a> <img src=\"https://a.example/a.png\" />", false),
        ("<a href=\"#note\">1</a>", false), ("<p>src=\"/not/an/attribute\"</p>", false), ("plain text", false),
    ])
    func relativeAttributesInHTML(html: String, relative: Bool) {
        #expect(FeedDocument.hasRelativeAttribute(html) == relative)
    }
}
