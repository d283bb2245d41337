import EstuaryCCurl
import EstuaryCurlShims

/// Process-wide libcurl setup, done once.
enum Curl {
    static func ensureInitialized() { _ = setup }

    private static let setup: Void = {
        let code = curl_global_init(Int(CURL_GLOBAL_ALL))
        precondition(code == CURLE_OK, "curl_global_init failed: \(code.rawValue)")
    }()

    /// libcurl's version, e.g. "7.88.1".
    static var version: String {
        ensureInitialized()
        return String(cString: estuary_curl_version_info().pointee.version)
    }

    /// A duration in whole milliseconds, the unit of libcurl's timeouts (within ±30,000 years).
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let bounded = Int(min(max(seconds, -1_000_000_000_000), 1_000_000_000_000))
        return bounded * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    static func describe(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }
}
