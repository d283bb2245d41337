import EstuaryCLibXML2

/// Plain text from an HTML fragment, through libxml2's HTML parser.
///
/// Titles and author names are plain text in Estuary's records; feeds often
/// carry them as escaped HTML (`AT&amp;T`, `<b>Big</b> news`). libxml2's HTML
/// parser knows HTML's named entities and recovers from broken markup.
enum HTMLText {
    static func plainText(_ html: String) -> String {
        guard html.utf8.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") }) else { return html }
        LibXML2.ensureInitialized()
        let wrapped = HTMLSanitizer.fragmentOpen + html + HTMLSanitizer.fragmentClose
        let document = wrapped.withCString { bytes in
            htmlReadMemory(bytes, Int32(clamping: wrapped.utf8.count), nil, "UTF-8", HTMLSanitizer.fragmentOptions)
        }
        guard let document else { return html }
        defer { xmlFreeDoc(document) }
        var out = ""
        collect(xmlDocGetRootElement(document), into: &out)
        // After a misplaced <!DOCTYPE>, libxml2 reads the next end tag as text: the wrapper's own.
        if out.hasSuffix(HTMLSanitizer.fragmentClose) { out.removeLast(HTMLSanitizer.fragmentClose.count) }
        return out
    }

    /// Appends the text of `node` and its descendants, skipping script and style.
    private static func collect(_ node: xmlNodePtr?, into out: inout String) {
        var current = node
        while let n = current {
            switch n.pointee.type {
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = n.pointee.content { out += String(cString: content) }
            case XML_ELEMENT_NODE:
                let name = n.pointee.name.map { String(cString: $0).lowercased() } ?? ""
                if name == "br" { out += "\n" }
                if name != "script" && name != "style" { collect(n.pointee.children, into: &out) }
            default:
                break
            }
            current = n.pointee.next
        }
    }
}
