import EstuaryCore
import Foundation
import Testing

@Suite struct MetricsConfigTests {
    static let source = """

        [[source]]
        id = "a"
        url = "https://a.example/feed"
        """

    func parse(_ metrics: String) throws(ConfigError) -> Config {
        try ConfigLoader().parse(text: metrics + Self.source, file: "estuary.toml", folder: URL(fileURLWithPath: "/srv/estuary"))
    }

    @Test func metricsAreOffByDefault() throws {
        let config = try parse("")
        #expect(config.metrics == MetricsConfig())
        #expect(!config.metrics.isEnabled)
    }

    @Test func readsTheListenerAndTheTextfileResolvedAgainstTheConfigFolder() throws {
        let config = try parse(
            """
            [metrics]
            listen = "127.0.0.1:9464"
            textfile = "node/estuary.prom"
            """)
        #expect(config.metrics.listen == ListenAddress(host: "127.0.0.1", family: .ipv4, port: 9464))
        #expect(config.metrics.textfile == "/srv/estuary/node/estuary.prom")
        #expect(config.metrics.isEnabled)
    }

    @Test(arguments: [
        ("127.0.0.1:9464", "127.0.0.1:9464", true),
        (":9464", "127.0.0.1:9464", true),
        ("127.0.0.2:0", "127.0.0.2:0", true),
        ("[::1]:9464", "[::1]:9464", true),
        ("[0:0:0:0:0:0:0:1]:80", "[0:0:0:0:0:0:0:1]:80", true),
        ("0.0.0.0:9464", "0.0.0.0:9464", false),
        ("192.0.2.7:65535", "192.0.2.7:65535", false),
        ("[::]:9464", "[::]:9464", false),
        ("[2001:db8::1]:9464", "[2001:db8::1]:9464", false),
    ])
    func parsesIPLiteralsAndPorts(text: String, description: String, loopback: Bool) throws {
        let address = try #require(ListenAddress(parsing: text))
        #expect(address.description == description)
        #expect(address.isLoopback == loopback)
    }

    @Test(arguments: [
        "localhost:9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:94a", "::1:9464",
        "[::1]9464", "[::1:9464", "[127.0.0.1]:9464", "1.2.3:9464", "", ":",
    ])
    func rejectsAnythingElse(text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }

    static let errorCases: [(String, String)] = [
        (
            """
            [metrics]
            listen = "localhost:9464"
            """,
            #"estuary.toml:2: [metrics]: listen "localhost:9464" is not an IP address and port such as "127.0.0.1:9464", "[::1]:9464" or ":9464" (host names are not accepted)"#
        ),
        (
            """
            [metrics]
            listen = 9464
            """, #"estuary.toml:2: [metrics]: listen must be a string, not integer"#
        ),
        (
            """
            [metrics]
            textfile = "/var/lib/node_exporter/estuary.txt"
            """,
            #"estuary.toml:2: [metrics]: textfile "/var/lib/node_exporter/estuary.txt" must be a file name ending in .prom (node_exporter's textfile collector reads only those)"#
        ),
        (
            """
            [metrics]
            textfile = "/var/lib/node_exporter/.prom"
            """,
            #"estuary.toml:2: [metrics]: textfile "/var/lib/node_exporter/.prom" must be a file name ending in .prom (node_exporter's textfile collector reads only those)"#
        ),
        (
            """
            [metrics]
            listen = ":9464"
            port = 9464
            """, #"estuary.toml:3: [metrics]: unknown key "port" (known keys: "listen", "textfile")"#
        ),
        (
            """
            metrics = ":9464"
            """, #"estuary.toml:1: metrics must be a table: [metrics]"#
        ),
    ]

    @Test(arguments: errorCases)
    func errorsNameTheFileLineSectionAndKey(text: String, expected: String) {
        let error = #expect(throws: ConfigError.self) { try parse(text) }
        #expect(error?.description == expected)
    }
}
