import EstuaryCore
import EstuaryTestSupport
import Foundation
import Testing

@Suite struct ConfigLoaderTests {
    let folder = URL(fileURLWithPath: "/srv/estuary")

    func parse(_ text: String) throws(ConfigError) -> Config {
        try ConfigLoader().parse(text: text, file: "estuary.toml", folder: folder)
    }

    @Test func readsEveryOptionAndResolvesRelativePathsAgainstTheConfigFolder() throws {
        let config = try parse(
            """
            [estuary]
            state_dir = "state"
            output_dir = "/var/www/river"
            interval = "1h30m"
            max_feed_bytes = 1048576
            log_level = "warning"

            [[source]]
            id = "lwn"
            url = "https://lwn.net/headlines/rss"
            title = "LWN.net"
            tags = ["linux", "news"]

            [[source]]
            id = "local"
            url = "file:feeds/local.xml"

            [[output]]
            name = "planet"
            formats = ["atom"]
            max_items = 25
            title = "Planet"
            """)
        #expect(config.stateDirectory == "/srv/estuary/state")
        #expect(config.outputDirectory == "/var/www/river")
        #expect(config.interval == .seconds(5400))
        #expect(config.maxFeedBytes == 1 << 20)
        #expect(config.logLevel == "warning")
        #expect(
            config.sources == [
                SourceConfig(
                    id: "lwn", url: URL(string: "https://lwn.net/headlines/rss")!, title: "LWN.net", tags: ["linux", "news"]),
                SourceConfig(id: "local", url: URL(fileURLWithPath: "/srv/estuary/feeds/local.xml")),
            ])
        #expect(config.outputs == [OutputConfig(name: "planet", formats: [.atom], maxItems: 25, title: "Planet")])
    }

    @Test func appliesDefaults() throws {
        let config = try parse(
            """
            [[source]]
            id = "a"
            url = "http://example.com/feed"

            [[output]]
            name = "all"
            """)
        #expect(config.stateDirectory == Config.defaultStateDirectory)
        #expect(config.outputDirectory == Config.defaultOutputDirectory)
        #expect(config.interval == Config.defaultInterval)
        #expect(config.logLevel == nil)
        #expect(config.outputs == [OutputConfig(name: "all", formats: [.atom, .json], maxItems: 100)])
    }

    @Test func readsFetchSettingsAndSourceAccess() throws {
        let folder = try Fixtures.temporaryFolder()
        try "s3cret\n".write(to: folder.appendingPathComponent("pw"), atomically: true, encoding: .utf8)
        let config = try ConfigLoader().parse(
            text: """
                [fetch]
                concurrency = 40
                per_host = 4
                host_spacing = "250ms"
                user_agent = "MyPlanet/1.0"
                allow_private_addresses = true
                timeout = "2m"
                move_after_redirects = 5

                [[source]]
                id = "intranet"
                url = "https://news.intranet.example/feed"
                username = "reader"
                password_file = "pw"
                headers = { "X-Team" = "platform", "Accept-Language" = "sv" }
                tls_verify = false
                """, file: "estuary.toml", folder: folder)
        #expect(config.fetch.concurrency == 40)
        #expect(config.fetch.perHost == 4)
        #expect(config.fetch.hostSpacing == .milliseconds(250))
        #expect(config.fetch.userAgent == "MyPlanet/1.0")
        #expect(config.fetch.allowPrivateAddresses)
        #expect(config.fetch.timeout == .seconds(120))
        #expect(config.fetch.moveAfterRedirects == 5)
        let source = config.sources[0]
        #expect(source.username == "reader")
        #expect(source.password?.value == "s3cret")
        #expect("\(source.password!)" == "<secret>")
        #expect(source.headers.map(\.name) == ["Accept-Language", "X-Team"])
        #expect(!source.verifyTLS)
    }

    @Test func aSourcesCAFileIsResolvedAgainstTheConfigFolder() throws {
        let folder = try Fixtures.temporaryFolder()
        try "-----BEGIN CERTIFICATE-----\n".write(
            to: folder.appendingPathComponent("intranet-ca.pem"), atomically: true, encoding: .utf8)
        let config = try ConfigLoader().parse(
            text: """
                [[source]]
                id = "intranet"
                url = "https://news.intranet.example/feed"
                ca_file = "intranet-ca.pem"
                """, file: "estuary.toml", folder: folder)
        #expect(config.sources[0].caFile == folder.appendingPathComponent("intranet-ca.pem").path)
        #expect(config.sources[0].verifyTLS)
    }

    /// What libcurl would refuse at every fetch (a folder, a DER file, a file without a PEM
    /// certificate) is refused when the config is loaded, so `estuary check` says so.
    @Test(arguments: [
        ("ca", "a folder", "cannot read the CA file /F/ca (a PEM file of certificate authorities)"),
        (
            "ca.der", "DER bytes",
            #"the CA file /F/ca.der holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); a DER file converts with: openssl x509 -inform DER -in /F/ca.der -out ca.pem"#
        ),
        (
            "ca.txt", "not a certificate",
            #"the CA file /F/ca.txt holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); a DER file converts with: openssl x509 -inform DER -in /F/ca.txt -out ca.pem"#
        ),
    ])
    func aCAFileLibcurlCannotUseIsRefusedAtLoad(name: String, content: String, message: String) throws {
        let folder = try Fixtures.temporaryFolder()
        let file = folder.appendingPathComponent(name)
        switch content {
        case "a folder": try FileManager.default.createDirectory(at: file, withIntermediateDirectories: true)
        case "DER bytes": try Data([0x30, 0x82, 0x03, 0x0B, 0x30, 0x82, 0x01, 0xF3, 0xA0, 0x03]).write(to: file)
        default: try "an intranet authority\n".write(to: file, atomically: true, encoding: .utf8)
        }
        let text = "[[source]]\nid = \"a\"\nurl = \"https://a.example/feed\"\nca_file = \"\(name)\"\n"
        #expect(throws: ConfigError.self) { try ConfigLoader().parse(text: text, file: "estuary.toml", folder: folder) }
        do {
            _ = try ConfigLoader().parse(text: text, file: "estuary.toml", folder: folder)
        } catch {
            let expected = message.replacingOccurrences(of: "/F", with: folder.path)
            #expect("\(error)" == "estuary.toml:4: [[source]] \"a\": \(expected)")
        }
    }

    @Test func aTrustedCertificatePEMIsACAFileToo() throws {
        let folder = try Fixtures.temporaryFolder()
        try "# intranet\n-----BEGIN TRUSTED CERTIFICATE-----\nMIIB\n-----END TRUSTED CERTIFICATE-----\n".write(
            to: folder.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        let config = try ConfigLoader().parse(
            text: "[[source]]\nid = \"a\"\nurl = \"https://a.example/feed\"\nca_file = \"ca.pem\"\n", file: "estuary.toml",
            folder: folder)
        #expect(config.sources[0].caFile == folder.appendingPathComponent("ca.pem").path)
    }

    static let errorCases: [(String, String)] = [
        (
            """
            [[source]]
            id = "a"
            url = "https://a.example/feed"
            ca_file = "missing-ca.pem"
            """,
            #"estuary.toml:4: [[source]] "a": cannot read the CA file /srv/estuary/missing-ca.pem (a PEM file of certificate authorities)"#
        ),
        (
            """
            [[source]]
            id = "a"
            url = "https://a.example/feed"
            tls_verify = false
            ca_file = "/etc/ssl/certs/ca-certificates.crt"
            """,
            #"estuary.toml:5: [[source]] "a": ca_file has no effect with tls_verify = false; keep ca_file and remove tls_verify = false"#
        ),
        (
            """
            [[source]]
            id = "lwn"
            url = "htp:/lwn.net"
            """, #"estuary.toml:3: [[source]] "lwn": url "htp:/lwn.net" is not an http, https or file URL"#
        ),
        (
            """
            [[source]]
            id = "lwn"
            url = "http:/lwn.net"
            """,
            #"estuary.toml:3: [[source]] "lwn": url "http:/lwn.net" is not an http, https or file URL: it has no host (write http://host/path)"#
        ),
        (
            """
            [[source]]
            id = "a"
            url = "https://a.example/feed"

            [[source]]
            id = "a"
            url = "https://b.example/feed"
            """, #"estuary.toml:6: [[source]] "a": duplicate source id "a" (each [[source]] needs its own id)"#
        ),
        (
            """
            [[source]]
            id = "a"
            url = "https://a.example/feed"
            colour = "blue"
            """,
            #"estuary.toml:4: [[source]] "a": unknown key "colour" (known keys: "id", "url", "title", "tags", "headers", "username", "password_file", "password_env", "tls_verify", "ca_file", "max_items", "max_age", "interval")"#
        ),
        (
            """
            [estuary]
            stat_dir = "/tmp"
            """,
            #"estuary.toml:2: [estuary]: unknown key "stat_dir" (known keys: "state_dir", "output_dir", "interval", "max_feed_bytes", "dedupe", "normalize_ids", "max_state_bytes", "log_level", "min_interval", "max_interval", "cold_start_spread", "output_delay", "stop_timeout")"#
        ),
        (
            """
            [estuary]
            log_level = "verbose"
            """,
            #"estuary.toml:2: [estuary]: log_level "verbose" must be one of trace, debug, info, notice, warning, error, critical"#
        ),
        (
            """
            [[sources]]
            id = "a"
            """,
            #"estuary.toml:1: unknown top-level key "sources" (expected [estuary], [fetch], [[source]], [[output]] or [metrics])"#
        ),
        (
            """
            [[source]]
            url = "https://a.example/feed"
            """, #"estuary.toml:1: [[source]] #1: missing key "id" (a short unique name such as "lwn")"#
        ),
        (
            """
            [[source]]
            id = "a"
            url = "https://a.example/feed"
            tags = "news"
            """, #"estuary.toml:4: [[source]] "a": tags must be an array of strings, such as ["a", "b"]"#
        ),
        (
            """
            [[source]]
            id = "a"
            url = "file://feeds/a.xml"
            """,
            #"estuary.toml:3: [[source]] "a": url "file://feeds/a.xml" is not an http, https or file URL: "feeds" is read as a host; write file:relative/path or file:///absolute/path"#
        ),
        (
            """
            [[source]]
            id = "a"
            url = "https://a.example/feed"

            [[output]]
            name = "river"
            formats = ["atom", "rss2"]
            """,
            #"estuary.toml:7: [[output]] "river": format "rss2" is not supported (supported: "atom", "rss", "jsonfeed", "html", "json", "opml")"#
        ),
        (
            """
            [[source]]
            id = "a"
            url = "https://a.example/feed"

            [[output]]
            name = "../etc/passwd"
            """,
            #"estuary.toml:6: [[output]] #1: name "../etc/passwd" must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"#
        ),
        (
            """
            [estuary]
            interval = "soon"

            [[source]]
            id = "a"
            url = "https://a.example/feed"
            """, #"estuary.toml:2: [estuary]: interval "soon" is not a positive duration such as "90s", "30m", "1h" or "1d""#
        ),
        (
            """
            [fetch]
            per_host = 0

            [[source]]
            id = "a"
            url = "https://a.example/feed"
            """, #"estuary.toml:2: [fetch]: per_host must be between 1 and 100, not 0"#
        ),
        (
            """
            [fetch]
            allow_private_addresses = "yes"

            [[source]]
            id = "a"
            url = "https://a.example/feed"
            """, #"estuary.toml:2: [fetch]: allow_private_addresses must be true or false, not string"#
        ),
        (
            """
            [[source]]
            id = "a"
            url = "https://a.example/feed"
            username = "u"
            password_env = "ESTUARY_TEST_UNSET_VARIABLE"
            """, #"estuary.toml:5: [[source]] "a": the environment variable ESTUARY_TEST_UNSET_VARIABLE is not set"#
        ),
        (
            """
            [[source]]
            id = "a"
            url = "https://a.example/feed"
            password_env = "HOME"
            """, #"estuary.toml:4: [[source]] "a": a password needs a username"#
        ),
        (
            """
            [estuary]
            state_dir = "/tmp"
            """,
            #"estuary.toml: no [[source]] sections: add at least one feed to follow (see docs/config.md, or config/estuary.example.toml in Estuary's source)"#
        ),
        (
            """
            [[source]]
            id = "m"
            url = "https://a.example/feed"

            [[output]]
            name = "typo"
            sources = ["mm"]
            """, #"estuary.toml:7: [[output]] "typo": sources names "mm", which no [[source]] has (check the id's spelling)"#
        ),
        (
            """
            [[source]]
            id = "m"
            url = "https://a.example/feed"
            tags = ["linux"]

            [[output]]
            name = "typo"
            tags = ["Linux"]
            """,
            #"estuary.toml:8: [[output]] "typo": tags names "Linux", which no [[source]] has (check the tag's spelling; tags are case-sensitive)"#
        ),
        (
            """
            [estuary]
            interval = true

            [[source]]
            id = "a"
            url = "https://a.example/feed"
            """,
            #"estuary.toml:2: [estuary]: interval must be a duration such as "90s", "30m", "1h" or "1d", or seconds, not bool"#
        ),
        (
            """
            [[source]]
            id = "a"
            url = "https://a.example/feed"
            interval = -60
            """, #"estuary.toml:4: [[source]] "a": interval "-60" is not a positive duration such as "90s", "30m", "1h" or "1d""#
        ),
        (
            """
            [[source]]
            id = "a"
            url = "https://a.example/feed"

            [[output]]
            name = "river"
            formats = ["jsonfeed"]

            [[output]]
            name = "river.feed"
            formats = ["json"]
            """,
            #"estuary.toml:10: [[output]] "river.feed": this output would write river.feed.json, which output "river" writes too: rename one of them"#
        ),
    ]

    @Test func durationsMayBeIntegerSeconds() throws {
        let config = try parse(
            """
            [estuary]
            interval = 600

            [fetch]
            host_spacing = 0

            [[source]]
            id = "a"
            url = "https://a.example/feed"
            interval = 3600
            max_age = 86400

            [[output]]
            name = "river"
            max_age = 604800
            """)
        #expect(config.interval == .seconds(600))
        #expect(config.fetch.hostSpacing == .zero)
        #expect(config.sources.first?.interval == .seconds(3600))
        #expect(config.sources.first?.maxAge == .seconds(86400))
        #expect(config.outputs.first?.maxAge == .seconds(604_800))
    }

    @Test func anOutputTagSomeSourceHasIsAccepted() throws {
        let config = try parse(
            """
            [[source]]
            id = "a"
            url = "https://a.example/feed"
            tags = ["linux"]

            [[output]]
            name = "linux"
            tags = ["linux"]
            """)
        #expect(config.outputs.first?.tags == ["linux"])
    }

    @Test func outputLinksAndIDAreChecked() throws {
        let base = "[[source]]\nid = \"a\"\nurl = \"https://a.example/feed\"\n\n[[output]]\nname = \"river\"\n"
        let config = try parse(base + "home_page = \"https://planet.example/\"\nindex_content = false\n")
        #expect(config.outputs.first?.homePage == "https://planet.example/")
        #expect(config.outputs.first?.indexContent == false)
        #expect(throws: ConfigError.self) { try parse(base + "home_page = \"javascript:alert(1)\"\n") }
        #expect(throws: ConfigError.self) { try parse(base + "id = \"river feed\"\n") }
        #expect(throws: ConfigError.self) { try parse(base + "link = \"https://planet.example/feeds?lang=en\"\n") }
    }

    @Test func aTemplateThatDoesNotParseIsAConfigError() throws {
        let folder = try Fixtures.temporaryFolder()
        try "<h1>{{#days}}{{day}}{{/items}}</h1>".write(
            to: folder.appendingPathComponent("page.mustache"), atomically: true, encoding: .utf8)
        do {
            _ = try ConfigLoader().parse(
                text: """
                    [[source]]
                    id = "a"
                    url = "https://a.example/feed"

                    [[output]]
                    name = "river"
                    formats = ["html"]
                    template = "page.mustache"
                    """, file: "estuary.toml", folder: folder)
            Issue.record("a broken template was accepted")
        } catch {
            #expect(
                error.description.hasPrefix(
                    "estuary.toml:8: [[output]] \"river\": the template \(folder.path)/page.mustache does not parse at line 1, column"
                ),
                "\(error.description)")
        }
    }

    @Test(arguments: errorCases)
    func errorsNameTheFileLineSectionAndKey(text: String, expected: String) {
        #expect(throws: ConfigError.self) { try parse(text) }
        do {
            _ = try parse(text)
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func syntaxErrorsCarryTheLineTOMLKitGives() {
        do {
            _ = try parse("[[source]]\nid = \"a\"\nurl = \"https://a.example/feed\n")
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.line == 3)
            #expect(error.message.hasPrefix("TOML syntax error"))
        }
    }

    @Test func aMissingFileIsAnErrorThatSaysHowToPointElsewhere() {
        do {
            _ = try ConfigLoader().load(path: "/nonexistent/estuary.toml")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "/nonexistent/estuary.toml")
            #expect(error.message.contains("--config PATH or set ESTUARY_CONFIG"))
        }
    }

    @Test func theExampleConfigIsValid() throws {
        let example = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/estuary.example.toml")
        let config = try ConfigLoader().load(path: example.path)
        #expect(!config.sources.isEmpty)
        #expect(!config.outputs.isEmpty)
    }
}

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("90s", 90), ("30m", 1800), ("1h", 3600), ("1h30m", 5400), ("2d", 172_800), ("600", 600), (" 5m ", 300),
    ])
    func parses(text: String, seconds: Int) {
        #expect(DurationText.parse(text) == .seconds(seconds))
    }

    @Test(arguments: ["", "m", "5x", "1.5h", "-5", "h5", "5m3"])
    func rejects(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func formatsTheShortestExactSpelling() {
        #expect(DurationText.format(.seconds(5400)) == "1h30m")
        #expect(DurationText.format(.seconds(45)) == "45s")
        #expect(DurationText.format(.seconds(86_400)) == "1d")
    }
}
