#include "ProcessHarness.hpp"

#include <gp/agent/Files.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace gp::test {

namespace {

std::string readFileOrEmpty(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Waits for `name` in ports.json; gives up at once when `process` exits before writing it.
int readPort(const std::filesystem::path& portsFile, const std::string& name,
             ChildProcess& process) {
    int port = 0;
    bool exited = false;
    const bool written = waitUntil([&] {
        if (!process.running()) {
            exited = true;
            return true;
        }
        try {
            auto text = readFileOrEmpty(portsFile);
            if (text.empty()) {
                return false;
            }
            port = parseJsonObject(text)->getValue<int>(name);
            return port > 0;
        } catch (const std::exception&) {
            return false;
        }
    });
    if (!written || exited) {
        throw std::runtime_error("no '" + name + "' port in " + portsFile.string() +
                                 (exited ? ": the process exited before writing it" : ""));
    }
    return port;
}

} // namespace

TempDir::TempDir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed for " + pattern);
    }
    m_path = pattern;
}

TempDir::~TempDir() {
    if (std::getenv("GP_KEEP_TEST_DIRS") == nullptr) {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
}

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args,
                           const std::filesystem::path& logFile) {
    std::vector<std::string> argv{binary};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> pointers;
    for (auto& arg : argv) {
        pointers.push_back(arg.data());
    }
    pointers.push_back(nullptr);
    const int log = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) {
        throw std::runtime_error("cannot open " + logFile.string());
    }
    m_pid = ::fork();
    if (m_pid == 0) {
        ::dup2(log, STDOUT_FILENO);
        ::dup2(log, STDERR_FILENO);
        const int devNull = ::open("/dev/null", O_RDONLY);
        ::dup2(devNull, STDIN_FILENO);
        ::execv(binary.c_str(), pointers.data());
        ::_exit(127);
    }
    ::close(log);
    if (m_pid < 0) {
        throw std::runtime_error("fork failed");
    }
}

ChildProcess::~ChildProcess() {
    if (running()) {
        kill9();
    }
}

bool ChildProcess::running() {
    if (m_reaped) {
        return false;
    }
    const int result = ::waitpid(m_pid, &m_status, WNOHANG);
    if (result == m_pid) {
        m_reaped = true;
        return false;
    }
    return true;
}

void ChildProcess::kill9() {
    if (!m_reaped) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, &m_status, 0);
        m_reaped = true;
    }
}

int ChildProcess::waitForExit(std::chrono::milliseconds timeout) {
    if (!waitUntil([&] { return !running(); }, timeout)) {
        return -1;
    }
    return WIFEXITED(m_status) ? WEXITSTATUS(m_status) : 128 + WTERMSIG(m_status);
}

int ChildProcess::terminate() {
    if (!m_reaped) {
        ::kill(m_pid, SIGTERM);
    }
    const int code = waitForExit(std::chrono::seconds(20));
    if (code < 0) {
        kill9();
        return -1;
    }
    return code;
}

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (condition()) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

Poco::JSON::Object::Ptr parseJsonObject(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

// ---- spine-mock ----

SpineMock::SpineMock(std::filesystem::path stateDir, std::string extraConfig)
    : m_stateDir(std::move(stateDir)), m_extraConfig(std::move(extraConfig)) {}

void SpineMock::start() {
    launch(0);
}

void SpineMock::restartOnSamePort() {
    launch(m_port);
}

void SpineMock::launch(int port) {
    std::filesystem::create_directories(m_stateDir);
    std::filesystem::remove(m_stateDir / "ports.json");
    const auto config = m_stateDir / "spine-mock.properties";
    agent::writeFileAtomically(config, "mock.port = " + std::to_string(port) +
                                           "\nmock.stateDir = " + m_stateDir.string() +
                                           // Plain and fast; TLS tests override it (TlsTest).
                                           "\nmock.allowPlainHttp = true\n" + m_extraConfig);
    m_process = std::make_unique<ChildProcess>(
        SPINE_MOCK_BIN, std::vector<std::string>{"--config", config.string()},
        m_stateDir / "spine-mock.log");
    m_port = readPort(m_stateDir / "ports.json", "http", *m_process);
}

void SpineMock::kill9() {
    if (m_process) {
        m_process->kill9();
    }
}

void SpineMock::stop() {
    if (m_process) {
        m_process->terminate();
    }
}

std::string SpineMock::baseUrl() const {
    return m_adminTls ? "https://localhost:" + std::to_string(m_port)
                      : "http://127.0.0.1:" + std::to_string(m_port);
}

agent::ApiClient SpineMock::admin() const {
    return m_adminTls ? agent::ApiClient("localhost", m_port, "", m_adminTls)
                      : agent::ApiClient("127.0.0.1", m_port, "");
}

agent::ApiReply SpineMock::post(const std::string& path, const std::string& body,
                                const std::map<std::string, std::string>& headers) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(m_port));
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request("POST", path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers) {
        request.set(name, value);
    }
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    auto& in = session.receiveResponse(response);
    agent::ApiReply reply;
    reply.status = static_cast<int>(response.getStatus());
    Poco::StreamCopier::copyToString(in, reply.body);
    return reply;
}

void SpineMock::injectFault(const std::string& json) {
    agent::ApiClient admin = this->admin();
    auto reply = admin.post("/_admin/faults", json);
    if (reply.status / 100 != 2) {
        throw std::runtime_error("fault not accepted: HTTP " + std::to_string(reply.status) + " " +
                                 reply.body);
    }
}

void SpineMock::clearFaults() {
    agent::ApiClient admin = this->admin();
    admin.send("DELETE", "/_admin/faults", "", "");
}

std::vector<Poco::JSON::Object::Ptr> SpineMock::journal() {
    agent::ApiClient admin = this->admin();
    auto reply = admin.get("/_admin/journal");
    Poco::JSON::Parser parser;
    auto array = parser.parse(reply.body).extract<Poco::JSON::Array::Ptr>();
    std::vector<Poco::JSON::Object::Ptr> entries;
    for (std::size_t i = 0; i < array->size(); ++i) {
        entries.push_back(array->getObject(static_cast<unsigned>(i)));
    }
    return entries;
}

int SpineMock::journalCount(const std::string& messageId, const std::string& outcome) {
    int count = 0;
    for (const auto& entry : journal()) {
        if (entry->getValue<std::string>("messageId") == messageId &&
            entry->getValue<std::string>("outcome") == outcome) {
            ++count;
        }
    }
    return count;
}

void SpineMock::registerPractice(const std::string& odsCode, const std::string& partyKey,
                                 const std::string& asid, const std::string& inboundUrl) {
    agent::ApiClient admin = this->admin();
    const std::string json = R"({"odsCode": ")" + odsCode + R"(", "partyKey": ")" + partyKey +
                             R"(", "asid": ")" + asid + R"(", "inboundUrl": ")" + inboundUrl +
                             R"("})";
    auto reply = admin.post("/_admin/practices", json);
    if (reply.status / 100 != 2) {
        throw std::runtime_error("practice not registered: HTTP " + std::to_string(reply.status) +
                                 " " + reply.body);
    }
}

// ---- gp-agent ----

Agent::Agent(std::filesystem::path stateDir, std::string spineUrl, std::string extraConfig,
             TestPractice practice)
    : m_stateDir(std::move(stateDir)), m_configFile(m_stateDir / "agent.properties"),
      m_spineUrl(std::move(spineUrl)), m_extraConfig(std::move(extraConfig)),
      m_practice(std::move(practice)) {
    if (storeTestsUsePostgres() && m_extraConfig.find("store.") == std::string::npos) {
        m_postgres = std::make_unique<PostgresTestDatabase>();
    }
}

std::string Agent::inboundUrl() const {
    if (m_extraConfig.find("inbound.certFile") != std::string::npos) {
        return "https://localhost:" + std::to_string(m_inboundPort) + "/inbound";
    }
    return "http://127.0.0.1:" + std::to_string(m_inboundPort) + "/inbound";
}

void Agent::start() {
    std::filesystem::create_directories(m_stateDir);
    // gp-agent refuses a state directory every user may read (docs/security.md).
    std::filesystem::permissions(m_stateDir, std::filesystem::perms::others_all,
                                 std::filesystem::perm_options::remove);
    std::filesystem::remove(m_stateDir / "ports.json");
    std::string config;
    config += "agent.stateDir = " + m_stateDir.string() + "\n";
    config += "agent.odsCode = " + m_practice.odsCode + "\n";
    config += "agent.partyKey = " + m_practice.partyKey + "\n";
    config += "agent.asid = " + m_practice.asid + "\n";
    config += "api.port = 0\n";
    config += "inbound.bind = 127.0.0.1\n";
    config += "inbound.port = 0\n";
    config += "spine.url = " + m_spineUrl + "\n";
    config += "sds.url = " + m_spineUrl + "/spine-directory\n";
    config += "ers.url = " + m_spineUrl + "/referrals/FHIR/STU3\n";
    // Plain and fast: the TLS tests set it false again and configure certificates (TlsTest).
    config += "test.allowPlainHttp = true\n";
    // Short backoff so retries happen within a test; everything else is the shipped default.
    config += "retry.baseDelay = PT0.05S\n";
    config += "retry.maxDelay = PT0.2S\n";
    if (m_postgres) {
        // The schema's name is unique in the run, so it serves as the instance's name too.
        config += "store.engine = postgresql\n";
        config += "store.url = " + m_postgres->url() + "\n";
        config += "store.instance = " + m_postgres->schema() + "\n";
    }
    config += m_extraConfig;
    agent::writeFileAtomically(m_configFile, config);
    m_process = std::make_unique<ChildProcess>(
        GP_AGENT_BIN, std::vector<std::string>{"--config", m_configFile.string()}, logFile());
    m_apiPort = readPort(m_stateDir / "ports.json", "api", *m_process);
    m_inboundPort = readPort(m_stateDir / "ports.json", "inbound", *m_process);
    m_token = agent::readWholeFile(m_stateDir / "api-token");
    while (!m_token.empty() && m_token.back() == '\n') {
        m_token.pop_back();
    }
}

void Agent::kill9() {
    if (m_process) {
        m_process->kill9();
    }
}

int Agent::stop() {
    return m_process ? m_process->terminate() : -1;
}

agent::ApiClient Agent::api() const {
    return agent::ApiClient("127.0.0.1", m_apiPort, m_token);
}

agent::ApiReply Agent::submit(const std::string& json) const {
    return api().post("/v1/eps/prescriptions", json);
}

Poco::JSON::Object::Ptr Agent::message(const std::string& messageId) const {
    auto reply = api().get("/v1/messages/" + messageId);
    if (reply.status != 200) {
        throw std::runtime_error("GET message " + messageId + ": HTTP " +
                                 std::to_string(reply.status));
    }
    return parseJsonObject(reply.body);
}

std::string Agent::stateOf(const std::string& messageId) const {
    return message(messageId)->getValue<std::string>("state");
}

bool Agent::waitForState(const std::string& messageId, const std::string& state,
                         std::chrono::milliseconds timeout) const {
    return waitUntil([&] { return stateOf(messageId) == state; }, timeout);
}

long peakRssKb(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return -1;
}

CommandResult runAgentCtl(const std::filesystem::path& configFile,
                          const std::vector<std::string>& args) {
    const auto output = configFile.parent_path() / "ctl-output.txt";
    std::filesystem::remove(output);
    std::vector<std::string> all{"--config", configFile.string()};
    all.insert(all.end(), args.begin(), args.end());
    ChildProcess ctl(GP_AGENTCTL_BIN, all, output);
    CommandResult result;
    result.exitCode = ctl.waitForExit(std::chrono::seconds(30));
    result.output = readFileOrEmpty(output);
    return result;
}

std::string prescriptionJson(const std::string& prescriptionId, int items) {
    std::string json = "{";
    if (!prescriptionId.empty()) {
        json += R"("prescriptionId": ")" + prescriptionId + R"(", )";
    }
    json += R"("patient": {"nhsNumber": "9449304130", "family": "SMITH", "given": "JANE",
                 "birthDate": "1980-04-01", "gender": "female", "postcode": "LS1 6AE"},
    "prescriber": {"odsCode": "A83008", "sdsUserId": "555086689106",
                   "sdsRoleProfileId": "555086718101", "name": "DR A JONES",
                   "professionalCode": "G1234567"},
    "treatmentType": "acute", "dispensingSitePreference": "P1", "nominatedPharmacy": "FCG71",
    "items": [)";
    for (int i = 0; i < items; ++i) {
        json += std::string(i ? ", " : "") +
                R"({"dmdCode": "39732311000001104", "description": "Amoxicillin 250mg capsules",
                    "quantity": 21, "unitDmdCode": "428673006", "unit": "capsule",
                    "dosage": "One capsule three times a day"})";
    }
    json += "]}";
    return json;
}

} // namespace gp::test
