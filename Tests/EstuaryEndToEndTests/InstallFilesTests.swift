import EstuaryTestSupport
import Foundation
import Testing

/// The files that put Estuary on a machine: units, cron line, scripts.
@Suite struct InstallFilesTests {
    func read(_ path: String) throws -> String {
        try String(contentsOf: Fixtures.repository.appendingPathComponent(path), encoding: .utf8)
    }

    func directives(_ unit: String) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for line in try read(unit).split(separator: "\n") where !line.hasPrefix("#") && line.contains("=") {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            result[parts[0], default: []].append(parts[1])
        }
        return result
    }

    @Test func theDaemonUnitRunsEstuaryRunWithTheSystemConfig() throws {
        let unit = try directives("systemd/estuary.service")
        #expect(unit["ExecStart"] == ["/usr/local/bin/estuary run --config /etc/estuary/estuary.toml"])
        #expect(unit["StateDirectory"] == ["estuary"])
        #expect(unit["RestartPreventExitStatus"] == ["78"])
        // RunCommand sends READY=1 and WATCHDOG=1: the unit must ask for them.
        #expect(unit["Type"] == ["notify"])
        #expect(unit["NotifyAccess"] == ["main"])
        #expect(unit["WatchdogSec"]?.count == 1)
        // Only the main process's status counts for RestartPreventExitStatus: no ExecStartPre to loop on.
        #expect(unit["ExecStartPre"] == nil)
        // A reload of an invalid config fails (the check runs first); the running config stays.
        #expect(
            unit["ExecReload"] == [
                "/usr/local/bin/estuary check --config /etc/estuary/estuary.toml", "/bin/kill -HUP $MAINPID",
            ])
    }

    static let systemdAnalyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Runs `systemd-analyze` with the units copied beside each other, `/usr/local/bin/estuary` pointing at the build.
    func analyze(_ arguments: [String], unit: String) throws -> (status: Int32, output: String) {
        let folder = try Fixtures.temporaryFolder("estuary-units")
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["estuary.service", "estuary-once.service", "estuary-once.timer"] {
            let text = try read("systemd/\(name)").replacingOccurrences(
                of: "/usr/local/bin/estuary", with: EstuaryBinary.url.path)
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let (status, output) = try ExternalTool.run(
            Self.systemdAnalyze!, arguments + [folder.appendingPathComponent(unit).path])
        return (status, String(decoding: output, as: UTF8.self))
    }

    @Test(.enabled(if: systemdAnalyze != nil), arguments: ["estuary.service", "estuary-once.service"])
    func theServiceUnitsAreLockedDown(unit: String) throws {
        // --threshold is in tenths: 15 means an overall exposure of 1.5 or lower.
        let security = try analyze(["security", "--offline=true", "--threshold=15", "--no-pager"], unit: unit)
        #expect(security.status == 0, "\(security.output.split(separator: "\n").last ?? "")")
        #expect(security.output.contains("Overall exposure level"))
    }

    @Test(.enabled(if: systemdAnalyze != nil), arguments: ["estuary.service", "estuary-once.service", "estuary-once.timer"])
    func theUnitsVerifyClean(unit: String) throws {
        let verify = try analyze(["verify", "--no-pager"], unit: unit)
        #expect(verify.status == 0 && verify.output.isEmpty, "\(verify.output)")
    }

    @Test func theTimerDrivesTheOneShotUnit() throws {
        let service = try directives("systemd/estuary-once.service")
        #expect(service["Type"] == ["oneshot"])
        #expect(service["ExecStart"] == ["/usr/local/bin/estuary once --config /etc/estuary/estuary.toml"])
        // A oneshot's start is otherwise never timed out: one hung run would stop the timer for good.
        #expect(service["TimeoutStartSec"] == ["1h"])
        let timer = try directives("systemd/estuary-once.timer")
        #expect(timer["OnUnitActiveSec"] != nil)
        #expect(timer["WantedBy"] == ["timers.target"])
    }

    @Test func theCronLineRunsOnce() throws {
        let lines = try read("config/estuary.cron").split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(lines.count == 1)
        #expect(lines[0].hasSuffix("/usr/local/bin/estuary once --config /etc/estuary/estuary.toml"))
    }

    @Test(arguments: [
        "scripts/install-deps.sh", "scripts/demo.sh", "scripts/test.sh", "scripts/install.sh", "scripts/format.sh",
        "scripts/conformance.sh", ".ci/run",
    ])
    func scriptsAreValidShell(path: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-n", Fixtures.repository.appendingPathComponent(path).path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(FileManager.default.isExecutableFile(atPath: Fixtures.repository.appendingPathComponent(path).path))
    }

    @Test func theExitStatusesInTheOperationsGuideAreTheOnesHelpGives() throws {
        let documented = try read("docs/operations.md").split(separator: "\n").compactMap { line -> Int? in
            guard line.hasPrefix("| ") else { return nil }
            return Int(line.dropFirst(2).prefix { $0.isNumber })
        }
        #expect(documented == [0, 1, 64, 65, 74, 75, 78])
        let help = try EstuaryBinary.run(["--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
        for status in documented {
            #expect(help.contains(" \(status) "), "estuary --help does not explain exit status \(status)")
        }
    }

    @Test func ciRunsTheREADMEsTestCommand() throws {
        #expect(try read("README.md").contains("./scripts/test.sh"))
        #expect(try read(".ci/run").contains("exec ./scripts/test.sh"))
    }
}
