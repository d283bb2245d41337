import EstuaryCore
import Foundation
import Testing

/// Which sources a source's new items are matched against, as the config says.
@Suite struct DedupeContextTests {
    /// `dedupe = "tags"`: a source's items match those of the sources sharing one of its tags, and
    /// of no other; a source without tags matches none.
    @Test func dedupeByTagsMatchesTheSourcesSharingATag() throws {
        let sources = [("a", #"["x"]"#), ("b", #"["x"]"#), ("c", #"["y"]"#), ("d", #"["y", "x"]"#), ("e", "[]")]
        let text =
            "[estuary]\ndedupe = \"tags\"\n\n"
            + sources.map { "[[source]]\nid = \"\($0.0)\"\nurl = \"https://\($0.0).example.org/feed\"\ntags = \($0.1)\n" }
            .joined(separator: "\n")
        let config = try ConfigLoader().parse(text: text, file: "estuary.toml", folder: URL(fileURLWithPath: "/srv"))
        let contexts = config.dedupeContexts()
        // The others each source's items may match (a scope may hold the source itself).
        func others(_ id: String) -> Set<String>? { contexts[id]?.scope?.subtracting([id]) }
        #expect(others("a") == ["b", "d"])
        #expect(others("c") == ["d"])
        #expect(others("d") == ["a", "b", "c"])
        #expect(others("e") == [])
        // Sources with the same tags share one scope.
        #expect(contexts["a"]?.scope == contexts["b"]?.scope)
    }

    @Test func dedupeAllAndOffMatchEveryOtherSourceAndNone() throws {
        for (mode, expected) in [("all", nil), ("off", Set<String>())] as [(String, Set<String>?)] {
            let text =
                "[estuary]\ndedupe = \"\(mode)\"\n\n[[source]]\nid = \"a\"\nurl = \"https://a.example.org/feed\"\n\n"
                + "[[source]]\nid = \"b\"\nurl = \"https://b.example.org/feed\"\n"
            let config = try ConfigLoader().parse(text: text, file: "estuary.toml", folder: URL(fileURLWithPath: "/srv"))
            #expect(config.dedupeContexts()["a"]?.scope == expected, "\(mode)")
        }
    }
}
