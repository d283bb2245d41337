/// A feed listed in an OPML subscription list, as the list gives it.
public struct OPMLFeed: Sendable, Equatable {
    /// The outline's `xmlUrl`, trimmed.
    public var url: String
    /// The outline's `title`, else its `text`; nil when both are blank.
    public var title: String?
    /// The folders it sits in, outermost first, then the segments of its `category`
    /// attribute; as written in the file (``SourceImport`` turns them into tags).
    public var folders: [String]

    public init(url: String, title: String? = nil, folders: [String] = []) {
        self.url = url
        self.title = title
        self.folders = folders
    }
}

/// What an OPML file lists.
public struct OPMLList: Sendable, Equatable {
    /// The feeds, in document order.
    public var feeds: [OPMLFeed]
    /// Outlines that are neither a feed (no `xmlUrl`) nor a folder (no outlines inside).
    public var withoutFeedURL: Int

    public init(feeds: [OPMLFeed], withoutFeedURL: Int) {
        self.feeds = feeds
        self.withoutFeedURL = withoutFeedURL
    }
}
