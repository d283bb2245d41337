import EstuaryCLibXML2

/// Process-wide libxml2 setup, done once before the first parse.
enum LibXML2 {
    /// Initializes the library and installs a loader that refuses every external entity.
    ///
    /// `XML_PARSE_NONET` only blocks http and ftp; a `file:///etc/passwd`
    /// entity would still load. The loader is process-wide, so it is set once
    /// here, and every parse goes through ``ensureInitialized()``.
    static func ensureInitialized() { _ = setup }

    private static let setup: Void = {
        xmlInitParser()
        xmlSetExternalEntityLoader { _, _, _ in nil }
    }()
}
