import EstuaryTestSupport
import Foundation
import Testing

/// HTTPS sources through `estuary once`: a certificate no authority signed is refused at the TLS
/// stage with what to do; a source's `ca_file` names the authority to trust instead; and
/// `tls_verify = false` fetches, with a warning at every fetch.
@Suite struct TLSEndToEndTests {
    @Test func certificatesAreCheckedAndTheOptOutWarnsAtEveryFetch() throws {
        let folder = try Fixtures.temporaryFolder()
        try Data(try Fixtures.demoFeed("wordpress-rss2.xml")).write(to: folder.appendingPathComponent("feed.xml"))
        let server = try TestTLSServer(root: folder)
        let config = try Fixtures.config(
            """
            [fetch]
            allow_private_addresses = true
            host_spacing = "0s"

            [[source]]
            id = "trusted"
            url = "\(server.baseURL)/feed.xml"
            ca_file = "\(server.certificate.path)"

            [[source]]
            id = "unchecked"
            url = "\(server.baseURL)/feed.xml?unchecked"
            tls_verify = false

            [[source]]
            id = "untrusted"
            url = "\(server.baseURL)/feed.xml?untrusted"
            """
        ).file
        let warning = "TLS verification is off for this source (tls_verify = false)"

        for run in 1...2 {
            let result = try EstuaryBinary.run(["once", "--force", "--verbose", "--config", config.path])
            #expect(result.status == 1, "run \(run): one source failed")
            #expect(result.stderr.contains("source \"trusted\": 200"), "run \(run): \(result.stderr)")
            #expect(result.stderr.contains("source \"unchecked\": 200"), "run \(run): \(result.stderr)")
            #expect(
                result.stderr.contains("source \"untrusted\": fetch failed (tls)")
                    && result.stderr.contains("name its authority with ca_file"),
                "run \(run): \(result.stderr)")
            let warnings = result.stderr.components(separatedBy: "\n").filter { $0.contains(warning) }
            #expect(warnings.count == 1 && warnings[0].contains("unchecked"), "run \(run): \(result.stderr)")
        }
        // The refused source never got as far as a request.
        #expect(!server.requests.contains { $0.path.hasSuffix("untrusted") })
    }
}
