/// A configuration problem, located as precisely as the file allows.
///
/// Printed as `estuary.toml:12: [[source]] "lwn": url "htp:/lwn.net" is not an http, https or file URL`.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// The section as written in the file, with the source or output named: `[[source]] "lwn"`.
    public var section: String?
    public var message: String

    public init(file: String, line: Int? = nil, section: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.section = section
        self.message = message
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        s += ": "
        if let section { s += section + ": " }
        return s + message
    }
}
