#pragma once

// Starts the real gp-agent and spine-mock executables on loopback ports chosen by the kernel
// (port 0, read back from ports.json) in a fresh temporary directory, and talks to them over
// real HTTP. Used by the integration tests and the benchmark.

#include "PostgresTestDatabase.hpp"

#include <gp/agent/ctl/ApiClient.hpp>

#include <Poco/JSON/Object.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gp::test {

/// A directory under /tmp removed when the test ends (kept if GP_KEEP_TEST_DIRS is set).
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "gp-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

/// A child process with its standard output and error in a log file.
class ChildProcess {
public:
    ChildProcess(const std::string& binary, const std::vector<std::string>& args,
                 const std::filesystem::path& logFile);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    void kill9();    // SIGKILL and reap
    int terminate(); // SIGTERM, wait, return the exit status
    bool running();
    int waitForExit(std::chrono::milliseconds timeout); // exit code, or -1 on timeout
    int pid() const { return m_pid; }

private:
    int m_pid = -1;
    bool m_reaped = false;
    int m_status = 0;
};

/// Waits until `condition` holds, checking every few milliseconds, up to `timeout`.
/// Returns whether it held. This waits for an outcome; it never stands in for one.
bool waitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));

Poco::JSON::Object::Ptr parseJsonObject(const std::string& text);

/// One spine-mock process with its own state directory.
class SpineMock {
public:
    explicit SpineMock(std::filesystem::path stateDir, std::string extraConfig = "");
    void start();
    /// Its listener is TLS (mock.tls.* in the extra configuration, see TlsHarness.hpp): the
    /// harness's own calls then go over HTTPS with `adminIdentity`, and baseUrl() is https.
    void useTls(Poco::Net::Context::Ptr adminIdentity) { m_adminTls = std::move(adminIdentity); }
    /// Starts again on the port it had, so agents configured with its URL keep reaching it.
    void restartOnSamePort();
    void kill9();
    void stop();
    int port() const { return m_port; }
    int pid() const { return m_process ? m_process->pid() : -1; }
    std::string baseUrl() const;
    const std::filesystem::path& stateDir() const { return m_stateDir; }

    /// POST /_admin/faults with the given JSON; throws unless 2xx.
    void injectFault(const std::string& json);
    void clearFaults();
    /// GET /_admin/journal as parsed JSON objects.
    std::vector<Poco::JSON::Object::Ptr> journal();
    /// How many journal entries have this message id and outcome.
    int journalCount(const std::string& messageId, const std::string& outcome);
    /// Registers (or updates) a practice in the mock's directory, so route lookups find it and
    /// forward-reliable messages addressed to its party key reach `inboundUrl`.
    void registerPractice(const std::string& odsCode, const std::string& partyKey,
                          const std::string& asid, const std::string& inboundUrl);
    agent::ApiReply post(const std::string& path, const std::string& body,
                         const std::map<std::string, std::string>& headers);

private:
    void launch(int port);
    agent::ApiClient admin() const;

    std::filesystem::path m_stateDir;
    std::string m_extraConfig;
    std::unique_ptr<ChildProcess> m_process;
    int m_port = 0;
    Poco::Net::Context::Ptr m_adminTls; // null: plain HTTP
};

/// The practice a test agent acts for.
struct TestPractice {
    std::string odsCode = "A83008";
    std::string partyKey = "A83008-9199121";
    std::string asid = "200000001234";
};

/// One gp-agent process with its own state directory and configuration file. When the run sets
/// GP_TEST_STORE_ENGINE=postgresql (ctest -L integration-pg) its store is PostgreSQL instead of
/// SQLite: a fresh schema of the test server, kept across restarts and dropped with the object,
/// and an instance name of its own (unless the extra configuration sets store.* itself).
class Agent {
public:
    Agent(std::filesystem::path stateDir, std::string spineUrl, std::string extraConfig = "",
          TestPractice practice = {});
    const TestPractice& practice() const { return m_practice; }
    void start();
    void kill9();
    int stop(); // SIGTERM; returns the exit status
    int apiPort() const { return m_apiPort; }
    int inboundPort() const { return m_inboundPort; }
    int pid() const { return m_process ? m_process->pid() : -1; }
    /// Whether the process is alive (false once it has exited, been killed or was never started).
    bool running() const { return m_process && m_process->running(); }
    /// https://localhost:PORT/inbound when the configuration gives inbound.certFile.
    std::string inboundUrl() const;
    const std::filesystem::path& stateDir() const { return m_stateDir; }
    const std::filesystem::path& configFile() const { return m_configFile; }
    std::filesystem::path logFile() const { return m_stateDir / "agent.log"; }
    /// The agent's PostgreSQL schema in the integration-pg run; null when its store is SQLite.
    PostgresTestDatabase* postgres() { return m_postgres.get(); }
    agent::ApiClient api() const;

    /// Submits a prescription; returns the reply.
    agent::ApiReply submit(const std::string& json) const;
    /// GET /v1/messages/{id} parsed.
    Poco::JSON::Object::Ptr message(const std::string& messageId) const;
    std::string stateOf(const std::string& messageId) const;
    /// Waits until the message is in `state`; returns whether it got there.
    bool waitForState(const std::string& messageId, const std::string& state,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

private:
    std::filesystem::path m_stateDir;
    std::filesystem::path m_configFile;
    std::string m_spineUrl;
    std::string m_extraConfig;
    TestPractice m_practice;
    // Before the process, so that the process is gone before its schema is dropped. A pointer,
    // so that an Agent stays movable.
    std::unique_ptr<PostgresTestDatabase> m_postgres;
    std::unique_ptr<ChildProcess> m_process;
    int m_apiPort = 0;
    int m_inboundPort = 0;
    std::string m_token;
};

/// Peak resident set size (VmHWM) of a running process, in kilobytes; -1 when unknown.
long peakRssKb(int pid);

/// Runs gp-agentctl with the given arguments; returns exit code and combined output.
struct CommandResult {
    int exitCode = -1;
    std::string output;
};
CommandResult runAgentCtl(const std::filesystem::path& configFile,
                          const std::vector<std::string>& args);

/// A valid prescription request; `prescriptionId` empty means let the agent generate one.
std::string prescriptionJson(const std::string& prescriptionId = "", int items = 1);

} // namespace gp::test
