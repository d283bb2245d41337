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

    static func describe(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }
}
