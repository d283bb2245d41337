/// HTML's named character references (`&nbsp;`, `&hellip;`, `&eacute;`, ...),
/// for feeds that use them in XML without declaring them.
enum HTMLEntities {
    /// The code points of an HTML name (without `&` and `;`), nil for names HTML does not define.
    static func scalars(named name: Substring) -> [Unicode.Scalar]? {
        shared[name]
    }

    /// Built once from ``table``; immutable afterwards.
    private static let shared: [Substring: [Unicode.Scalar]] = {
        var map: [Substring: [Unicode.Scalar]] = [:]
        map.reserveCapacity(2200)
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2 else { continue }
            let scalars = fields.dropFirst().compactMap { UInt32($0, radix: 16).flatMap(Unicode.Scalar.init) }
            map[fields[0]] = scalars
        }
        return map
    }()
}
