import Foundation

/// A real HTTPS server on 127.0.0.1, on a port the kernel picks, with a certificate made for the
/// test: HTTP/2 when the client offers it (ALPN), HTTP/1.1 otherwise.
///
/// Python's `ssl` module and the `h2` package (python-hyper, which scripts/test.sh installs) speak
/// the protocols; the certificate comes from the `openssl` command. It serves the files of `root`
/// and notes every request (connection, protocol, stream, path) for the test to read.
public final class TestTLSServer: @unchecked Sendable {
    /// One request as the server saw it.
    public struct Request: Sendable, Decodable {
        /// 1 for the first connection accepted, 2 for the next, ...
        public var connection: Int
        /// "h2" or "http/1.1".
        public var protocolName: String
        public var path: String
        /// Requests of the same connection waiting for their answer when this one arrived, itself
        /// included: above 1 only when streams run at once on one connection (HTTP/2 multiplexing).
        public var concurrent: Int

        enum CodingKeys: String, CodingKey {
            case connection, path, concurrent
            case protocolName = "protocol"
        }
    }

    public let port: Int
    /// The certificate the server presents; it is its own authority (self-signed), for `ca_file`.
    public let certificate: URL
    private let process: Process
    private let log: URL
    /// The server's stdin, never written to: it ends when the test process does, however that
    /// ends, and the server exits then (a test run that crashed or was killed left it listening).
    private let lifeline = Pipe()

    public var baseURL: String { "https://127.0.0.1:\(port)" }

    /// Every request received so far, in order.
    public var requests: [Request] {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// Serves the files in `root`. With `holdFor` above 1, an HTTP/2 connection answers only once
    /// that many of its requests are waiting (or after two seconds), so streams overlap for sure.
    public init(root: URL, holdFor: Int = 1) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("estuary-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        certificate = folder.appendingPathComponent("cert.pem")
        let key = folder.appendingPathComponent("key.pem")
        log = folder.appendingPathComponent("requests.jsonl")
        try Self.makeCertificate(
            at: certificate, key: key, subject: "/CN=127.0.0.1", alternativeNames: "IP:127.0.0.1,DNS:localhost")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c", Self.script, root.path, certificate.path, key.path, log.path, String(holdFor),
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = lifeline
        try process.run()
        // The server prints its port once it listens, or fails before.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let more = output.fileHandleForReading.availableData
            if more.isEmpty { break }
            line.append(more)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw TestServerError(
                "the HTTPS test server did not start (python3 with the h2 package is needed; scripts/test.sh installs it)")
        }
        self.port = port
    }

    /// A self-signed certificate (its own authority) for `subject`, and its key, made by `openssl`.
    public static func makeCertificate(at certificate: URL, key: URL, subject: String, alternativeNames: String? = nil) throws {
        var arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.path, "-out", certificate.path,
            "-days", "2", "-subj", subject,
        ]
        if let alternativeNames { arguments += ["-addext", "subjectAltName=\(alternativeNames)"] }
        let made = try ExternalTool.run("/usr/bin/env", arguments)
        guard made.status == 0 else {
            throw TestServerError(
                "openssl could not make a certificate (scripts/test.sh installs openssl): "
                    + String(decoding: made.output, as: UTF8.self))
        }
    }

    deinit { stop() }

    /// Whether the server process still runs.
    public var isRunning: Bool { process.isRunning }

    /// Does to the server what the end of the test process does: closes its stdin.
    public func endLifeline() { try? lifeline.fileHandleForWriting.close() }

    public func stop() {
        // SIGKILL: the test process may ignore SIGTERM (as a daemon does), and its children inherit that.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    private static let script = #"""
        import json, os, socket, ssl, sys, threading, time
        import h2.config, h2.connection, h2.events

        root, cert, key, log_path, hold = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])

        def outlive_nothing():
            sys.stdin.buffer.read()  # the end of stdin: the test process is gone
            os._exit(0)

        threading.Thread(target=outlive_nothing, daemon=True).start()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.set_alpn_protocols(["h2", "http/1.1"])
        lock = threading.Lock()

        def note(**entry):
            with lock, open(log_path, "a") as log:
                log.write(json.dumps(entry) + "\n")

        def answer(path):
            name = os.path.normpath(path.split("?")[0].lstrip("/"))
            full = os.path.join(root, name)
            if name.startswith("..") or not os.path.isfile(full):
                return 404, b"not found\n"
            with open(full, "rb") as f:
                return 200, f.read()

        def serve_h1(conn, number):
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                path = head.split(b"\r\n")[0].split(b" ")[1].decode()
                note(connection=number, protocol="http/1.1", path=path, concurrent=1)
                status, body = answer(path)
                conn.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n"
                             % (status, len(body)) + body)

        def serve_h2(conn, number):
            h2conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
            h2conn.initiate_connection()
            conn.sendall(h2conn.data_to_send())
            waiting, first = [], None
            conn.settimeout(0.05)
            while True:
                try:
                    data = conn.recv(65536)
                    if not data:
                        return
                    for event in h2conn.receive_data(data):
                        if isinstance(event, h2.events.RequestReceived):
                            path = dict(event.headers)[":path"]
                            waiting.append((event.stream_id, path))
                            first = first or time.monotonic()
                            note(connection=number, protocol="h2", path=path, concurrent=len(waiting))
                except socket.timeout:
                    pass
                if waiting and (len(waiting) >= hold or time.monotonic() - first > 2):
                    for stream, path in waiting:
                        status, body = answer(path)
                        h2conn.send_headers(stream, [(":status", str(status)), ("content-type", "application/rss+xml"),
                                                     ("content-length", str(len(body)))])
                        size = h2conn.max_outbound_frame_size
                        for start in range(0, len(body), size):
                            h2conn.send_data(stream, body[start:start + size])
                        h2conn.end_stream(stream)
                    waiting, first = [], None
                conn.sendall(h2conn.data_to_send())

        def serve(raw, number):
            try:
                conn = context.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):
                raw.close()
                return
            try:
                (serve_h2 if conn.selected_alpn_protocol() == "h2" else serve_h1)(conn, number)
            except (ssl.SSLError, OSError):
                pass
            finally:
                conn.close()

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        print(listener.getsockname()[1], flush=True)
        accepted = 0
        while True:
            raw, _ = listener.accept()
            accepted += 1
            threading.Thread(target=serve, args=(raw, accepted), daemon=True).start()
        """#
}

/// A test server that could not start, with what to install.
public struct TestServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
