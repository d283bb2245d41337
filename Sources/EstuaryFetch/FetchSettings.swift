import EstuaryCore

/// The bounds every fetch runs within.
public struct FetchSettings: Sendable, Equatable {
    /// Time to establish a connection (libcurl counts milliseconds).
    public var connectTimeout: Duration = .seconds(10)
    /// Time for the whole transfer, redirects included.
    public var totalTimeout: Duration = .seconds(60)
    /// Abort when slower than this many bytes per second...
    public var lowSpeedBytesPerSecond: Int = 100
    /// ...for this many seconds.
    public var lowSpeedSeconds: Int = 15
    public var maxRedirects: Int = 5
    /// Largest body accepted, counted after decompression.
    public var maxBodyBytes: Int = 16 << 20
    /// Largest total size of response headers accepted.
    public var maxHeaderBytes: Int = 256 << 10
    /// Transfers under way at once.
    public var maxConnections: Int = 16
    /// Connections to one host at once.
    public var maxConnectionsPerHost: Int = 2

    /// Minimum time between the starts of two requests to the same host group
    /// (registrable domain: `a.tumblr.com` and `b.tumblr.com` share one).
    public var hostSpacing: Duration = .seconds(1)
    /// After a 429 or 503 the rest of the host group waits its Retry-After, at most this long
    /// (the source itself waits the whole Retry-After, in the state), so one run never hangs on it.
    public var maxHostPause: Duration = .seconds(30)
    /// Sent with every request.
    public var userAgent = "Estuary/\(Estuary.version) (+https://github.com/estuary-feeds/estuary)"
    /// Off by default: loopback, private, link-local and similar addresses are refused (docs/security.md).
    public var allowPrivateAddresses = false
    /// Bodies a fetch has delivered that its reader has not taken yet: past this, no new transfer of
    /// that fetch starts until it reads (those under way finish). So a run whose parsing and storing
    /// fall behind the network holds at most this much unread, plus what the transfers under way
    /// bring (at most `maxConnections` bodies). Zero or less: no limit.
    public var maxUnreadBytes: Int = 64 << 20
    /// Fixed name resolutions, `host:port:address` (libcurl's CURLOPT_RESOLVE), for tests and split DNS.
    public var resolve: [String] = []

    public init() {}
}
