/// The XML namespaces Estuary reads, recognized once per element.
enum Namespace: Equatable {
    case none
    case atom10, atom03
    case rss10, rss090, rdf
    case content, dc, dcterms, sy, itunes, media, xhtml
    case xml
    case other

    init(_ uri: String?) {
        guard let uri else {
            self = .none
            return
        }
        switch uri {
        case "http://www.w3.org/2005/Atom": self = .atom10
        case "http://purl.org/atom/ns#": self = .atom03
        case "http://purl.org/rss/1.0/": self = .rss10
        case "http://my.netscape.com/rdf/simple/0.9/": self = .rss090
        case "http://www.w3.org/1999/02/22-rdf-syntax-ns#": self = .rdf
        case "http://purl.org/rss/1.0/modules/content/": self = .content
        case "http://purl.org/dc/elements/1.1/": self = .dc
        case "http://purl.org/dc/terms/": self = .dcterms
        case "http://purl.org/rss/1.0/modules/syndication/": self = .sy
        case "http://www.itunes.com/dtds/podcast-1.0.dtd": self = .itunes
        case "http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss": self = .media
        case "http://www.w3.org/XML/1998/namespace": self = .xml
        case "http://www.w3.org/1999/xhtml": self = .xhtml
        case "": self = .none
        default:
            // Podcast feeds spell iTunes' namespace in every case.
            self = uri.lowercased() == "http://www.itunes.com/dtds/podcast-1.0.dtd" ? .itunes : .other
        }
    }
}
