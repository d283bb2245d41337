import EstuaryCLibXML2
import Foundation

/// Receives the SAX events of one document.
protocol SAXReceiver: AnyObject {
    func startElement(namespace: String?, name: String, attributes: [XMLAttribute], parser: PushParser)
    /// An element ends (its namespace is the one its start reported).
    func endElement(name: String)
    func characters(_ text: UnsafeBufferPointer<UInt8>)
}

/// One attribute, values with character references already decoded.
struct XMLAttribute {
    let namespace: String?
    let name: String
    let value: String
}

/// The owner of one libxml2 push-parser context.
///
/// Uses a zeroed SAX handler carrying only Estuary's callbacks: the stock
/// SAX2 callbacks register DTD entities and expand them quadratically, and the
/// reader API stops at the first error. Not Sendable: one parse, one thread.
final class PushParser {
    /// Options safe for documents from the network: recover what can be read,
    /// never load anything, report errors through the context only.
    static let options = Int32(
        XML_PARSE_RECOVER.rawValue | XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue
            | XML_PARSE_NOWARNING.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_IGNORE_ENC.rawValue)

    private let context: xmlParserCtxtPtr
    private let box: Unmanaged<ReceiverBox>

    /// Creates a context for `receiver`; nil when libxml2 cannot allocate one.
    init?<Receiver: SAXReceiver>(receiver: Receiver) {
        LibXML2.ensureInitialized()
        var handler = xmlSAXHandler()
        handler.initialized = UInt32(XML_SAX2_MAGIC)
        handler.startElementNs = PushParser.onStart
        handler.endElementNs = PushParser.onEnd
        handler.characters = PushParser.onCharacters
        handler.ignorableWhitespace = PushParser.onCharacters
        handler.serror = PushParser.onError
        let box = Unmanaged.passRetained(TypedReceiverBox(receiver) as ReceiverBox)
        guard let context = xmlCreatePushParserCtxt(&handler, box.toOpaque(), nil, 0, nil) else {
            box.release()
            return nil
        }
        xmlCtxtUseOptions(context, PushParser.options)
        // The decode stage hands over UTF-8 whatever the declaration says (hence IGNORE_ENC).
        xmlSwitchEncoding(context, XML_CHAR_ENCODING_UTF8)
        self.context = context
        self.box = box
        box.takeUnretainedValue().parser = self
        box.takeUnretainedValue().context = context
    }

    deinit {
        xmlFreeParserCtxt(context)
        box.release()
    }

    /// Feeds bytes; `last` ends the document.
    func feed(_ bytes: UnsafeBufferPointer<UInt8>, last: Bool) {
        let count = Int32(clamping: bytes.count)
        bytes.withMemoryRebound(to: CChar.self) { chars in
            _ = xmlParseChunk(context, chars.baseAddress, count, last ? 1 : 0)
        }
    }

    /// Stops the parse at the next event (the document is not a feed).
    func stop() { estuary_xml_stop(context) }

    /// False when libxml2 had to recover from errors.
    var wellFormed: Bool { estuary_xml_well_formed(context) != 0 && !box.takeUnretainedValue().recovered }

    /// The first error libxml2 reported: its message and line (what an operator fixes first; the
    /// errors after it are often its consequences, "Extra content at the end of the document").
    var firstError: (message: String, line: Int)? { box.takeUnretainedValue().firstError }

    // MARK: C callbacks (capture-less; the receiver travels as user data)

    /// The box behind the user data, borrowed for one callback: no reference counting per event.
    /// The parser holds the box (+1) for as long as `xmlParseChunk` runs, and libxml2 makes no
    /// callback after it returns or once the context is freed.
    private static func withBox(_ ctx: UnsafeMutableRawPointer, _ body: (ReceiverBox) -> Void) {
        Unmanaged<ReceiverBox>.fromOpaque(ctx)._withUnsafeGuaranteedRef { box in
            // Every event after a recovered error clears it (``estuary_xml_clear_recovered``), so
            // the references that follow still arrive; the box remembers the document was not well-formed.
            if let context = box.context, estuary_xml_clear_recovered(context) != 0 { box.recovered = true }
            body(box)
        }
    }

    private static let onStart: startElementNsSAX2Func = { ctx, localname, _, uri, _, _, count, _, attributes in
        guard let ctx, let localname else { return }
        withBox(ctx) { box in
            guard let parser = box.parser else { return }
            var attrs: [XMLAttribute] = []
            if let attributes, count > 0 {
                attrs.reserveCapacity(Int(count))
                for i in 0..<Int(count) {
                    let base = i * 5
                    guard let name = attributes[base], let start = attributes[base + 3], let end = attributes[base + 4]
                    else { continue }
                    let value = String(decoding: UnsafeBufferPointer(start: start, count: end - start), as: UTF8.self)
                    attrs.append(
                        XMLAttribute(
                            namespace: attributes[base + 2].map { String(cString: $0) }, name: String(cString: name),
                            value: AttributeText.decode(value)))
                }
            }
            box.startElement(
                namespace: uri.map { String(cString: $0) }, name: String(cString: localname), attributes: attrs,
                parser: parser)
        }
    }

    private static let onEnd: endElementNsSAX2Func = { ctx, localname, _, _ in
        guard let ctx, let localname else { return }
        withBox(ctx) { box in box.endElement(name: String(cString: localname)) }
    }

    private static let onError: xmlStructuredErrorFunc = { ctx, error in
        // Fatal errors only: what breaks well-formedness (a namespace error, level ERROR, does not).
        guard let ctx, let error, error.pointee.level == XML_ERR_FATAL else { return }
        let box = Unmanaged<ReceiverBox>.fromOpaque(ctx).takeUnretainedValue()
        guard box.firstError == nil else { return }
        let message = error.pointee.message.map { String(cString: $0) } ?? "error \(error.pointee.code)"
        box.firstError = (message.trimmingCharacters(in: .whitespacesAndNewlines), Int(error.pointee.line))
    }

    private static let onCharacters: charactersSAXFunc = { ctx, chars, length in
        guard let ctx, let chars, length > 0 else { return }
        withBox(ctx) { box in
            box.characters(UnsafeBufferPointer(start: chars, count: Int(length)))
        }
    }
}

/// What the C callbacks see as user data: a weak link back to the parser (which
/// owns this box) so a receiver can stop it, and, in ``TypedReceiverBox``, the receiver.
private class ReceiverBox {
    weak var parser: PushParser?
    /// The parser's context (owned by the parser, which owns this box).
    var context: xmlParserCtxtPtr?
    /// libxml2 recovered from an error at some point (its own flag is cleared after each).
    var recovered = false
    /// The first error reported, with its line.
    var firstError: (message: String, line: Int)?

    // The events, passed on to the receiver by the subclass.
    func startElement(namespace: String?, name: String, attributes: [XMLAttribute], parser: PushParser) {}
    func endElement(name: String) {}
    func characters(_ text: UnsafeBufferPointer<UInt8>) {}
}

/// The box with its receiver's type known: an event reaches the receiver through one
/// call on the borrowed box, with no reference counting (an existential would be retained per event).
private final class TypedReceiverBox<Receiver: SAXReceiver>: ReceiverBox {
    let receiver: Receiver

    init(_ receiver: Receiver) { self.receiver = receiver }

    override func startElement(namespace: String?, name: String, attributes: [XMLAttribute], parser: PushParser) {
        receiver.startElement(namespace: namespace, name: name, attributes: attributes, parser: parser)
    }

    override func endElement(name: String) { receiver.endElement(name: name) }

    override func characters(_ text: UnsafeBufferPointer<UInt8>) { receiver.characters(text) }
}

/// Attribute values from libxml2's SAX2 interface keep character references
/// such as `&#38;` when entities are not substituted (and Estuary never
/// substitutes them: that is where entity attacks live). Decode them here.
enum AttributeText {
    static func decode(_ value: String) -> String {
        guard value.utf8.contains(UInt8(ascii: "&")) else { return value }
        var out = ""
        var rest = Substring(value)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[amp...]
            if let semi = after.prefix(12).firstIndex(of: ";") {
                let name = after[after.index(after: amp)..<semi]
                if let scalar = characterReference(name) {
                    out.unicodeScalars.append(scalar)
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            out += "&"
            rest = after.dropFirst()
        }
        return out + rest
    }

    private static func characterReference(_ name: Substring) -> Unicode.Scalar? {
        switch name {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default:
            guard name.hasPrefix("#") else { return nil }
            let digits = name.dropFirst()
            let value =
                digits.hasPrefix("x") || digits.hasPrefix("X")
                ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            return value.flatMap(Unicode.Scalar.init)
        }
    }
}
