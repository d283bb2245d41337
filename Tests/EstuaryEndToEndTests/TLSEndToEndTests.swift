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

    /// `ca_file` replaces the system's authorities: libcurl also reads its built-in CA folder
    /// (/etc/ssl/certs) unless told not to, and any authority there would vouch for the server.
    /// Run where /etc/ssl/certs holds the server's own authority (a mount namespace's bind mount)
    /// and a bundle of another: a source without ca_file is served (the folder is read), one
    /// whose ca_file names the other authority is refused.
    @Test(.enabled(if: SystemAuthorities.canReplace))
    func aCAFileIsTheOnlyAuthorityNotOneMoreBesideTheSystems() throws {
        let folder = try Fixtures.temporaryFolder()
        try Data(try Fixtures.demoFeed("wordpress-rss2.xml")).write(to: folder.appendingPathComponent("feed.xml"))
        let server = try TestTLSServer(root: folder)
        // Another authority, of another name (OpenSSL finds an issuer by its name).
        let elsewhere = folder.appendingPathComponent("elsewhere.pem")
        try TestTLSServer.makeCertificate(
            at: elsewhere, key: folder.appendingPathComponent("key.pem"), subject: "/CN=Estuary test authority elsewhere")
        let authorities = try Fixtures.temporaryFolder()
        try FileManager.default.copyItem(at: server.certificate, to: authorities.appendingPathComponent("server.pem"))
        let rehash = try ExternalTool.run("/usr/bin/env", ["openssl", "rehash", authorities.path])
        #expect(rehash.status == 0, "\(String(decoding: rehash.output, as: UTF8.self))")
        // libcurl's default bundle, in the folder too: the other authority only.
        try FileManager.default.copyItem(at: elsewhere, to: authorities.appendingPathComponent("ca-certificates.crt"))
        let config = try Fixtures.config(
            """
            [fetch]
            allow_private_addresses = true
            host_spacing = "0s"

            [[source]]
            id = "system"
            url = "\(server.baseURL)/feed.xml?system"

            [[source]]
            id = "pinned"
            url = "\(server.baseURL)/feed.xml?pinned"
            ca_file = "\(elsewhere.path)"
            """
        ).file

        let result = try SystemAuthorities.run(
            in: authorities, EstuaryBinary.url.path, ["once", "--force", "--verbose", "--config", config.path])
        #expect(result.contains("source \"system\": 200"), "the folder is the system's authorities: \(result)")
        #expect(
            result.contains("source \"pinned\": fetch failed (tls)") && result.contains(elsewhere.path), "\(result)")
        #expect(!server.requests.contains { $0.path.hasSuffix("pinned") })
    }
}

/// Runs a command where /etc/ssl/certs is another folder: a bind mount in a mount namespace of
/// its own (unshare(1); an unprivileged user gets one through a user namespace).
enum SystemAuthorities {
    static let canReplace: Bool = {
        guard let probe = try? Fixtures.temporaryFolder(), let done = try? run(in: probe, "/bin/true", []) else {
            return false
        }
        return done == ""
    }()

    /// The command's stdout and stderr; "mount failed" when the folder could not take /etc/ssl/certs's place.
    static func run(in folder: URL, _ executable: String, _ arguments: [String]) throws -> String {
        let script = "mount --bind \"$0\" /etc/ssl/certs 2>/dev/null || { echo mount failed; exit 1; }; exec \"$@\""
        let result = try ExternalTool.run(
            "/usr/bin/unshare", ["-rm", "/bin/sh", "-c", script, folder.path, executable] + arguments)
        return String(decoding: result.output, as: UTF8.self)
    }
}
