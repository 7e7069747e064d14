#include "ChaosWorld.hpp"

#include "../../agent/src/store/CrashTripwire.hpp"

#include <gp/agent/Files.hpp>

#include <cstdlib>

namespace gp::chaos {

namespace fs = std::filesystem;

namespace {

const test::TestPractice kPracticeA{"A83008", "A83008-9199121", "200000001234"};
const test::TestPractice kPracticeB{"B86041", "B86041-9199122", "200000005678"};

// The hub retries at test speed and never throttles e-RS: the campaign is about crashes, and a
// 429 storm would only slow it down. GP2GP routes publish 2 retries 0.5 s apart, so a document
// fails only if spine-mock is down for a whole second around it.
const char* const kMockConfig = "mock.gp2gp.retryInterval = PT0.5S\n"
                                "mock.forwardRetryDelay = PT0.1S\n"
                                "mock.forwardMaxDelay = PT0.5S\n"
                                "mock.ers.rateLimit = 0\n";

} // namespace

World::World(const fs::path& root)
    : m_root(root), m_recordSource(root / "records"), m_importDir(root / "import"),
      m_mock(root / "mock", kMockConfig) {
    fs::create_directories(m_recordSource);
    m_mock.start();
    const fs::path tokenFile = root / "ers-token";
    agent::writeFileAtomically(tokenFile, "chaos-ers-token\n", 0600);
    // A small large-message threshold makes documents of tens of kilobytes travel as fragments,
    // so transfers exercise fragment assembly without megabytes of traffic.
    const std::string common = "ers.url = " + m_mock.baseUrl() +
                               "/referrals/FHIR/STU3\n"
                               "ers.tokenFile = " +
                               tokenFile.string() +
                               "\n"
                               "gp2gp.largeThreshold = 16384\n";
    m_agents[kOldPractice] = std::make_unique<test::Agent>(
        root / "practice-a", m_mock.baseUrl(),
        common + "gp2gp.recordSource = " + m_recordSource.string() + "\n", kPracticeA);
    m_agents[kNewPractice] = std::make_unique<test::Agent>(
        root / "practice-b", m_mock.baseUrl(),
        // A transfer whose sender gave up on a document ends at B's receive timeout with NACK
        // 31; the default (the persist durations, hours) would outlast the campaign.
        common + "gp2gp.importDir = " + m_importDir.string() + "\ngp2gp.receiveTimeout = PT60S\n",
        kPracticeB);
    for (auto& agent : m_agents) {
        agent->start();
    }
    registerPractices();
}

const test::TestPractice& World::practice(int index) const {
    return m_agents.at(static_cast<std::size_t>(index))->practice();
}

void World::registerPractices() {
    for (auto& agent : m_agents) {
        const auto& practice = agent->practice();
        m_mock.registerPractice(practice.odsCode, practice.partyKey, practice.asid,
                                agent->inboundUrl());
    }
}

void World::startAgent(int index) {
    agent(index).start();
    registerPractices();
}

bool World::startArmedAgent(int index, const std::string& spec) {
    // The child inherits the environment at fork, inside start(); the campaign itself and every
    // later child (gp-agentctl included) run without the variable.
    ::setenv(agent::sqlite::kTripwireVariable, spec.c_str(), 1);
    bool started = true;
    try {
        agent(index).start();
    } catch (const std::exception&) {
        started = false;
    }
    ::unsetenv(agent::sqlite::kTripwireVariable);
    if (!started) {
        if (agent(index).running()) {
            throw std::runtime_error("an armed agent neither started nor died; see " +
                                     agent(index).logFile().string());
        }
        return false;
    }
    try {
        registerPractices();
    } catch (const std::exception&) {
        // Nothing to register when the agent already died; the restart registers it.
    }
    return true;
}

void World::restartMock() {
    m_mock.restartOnSamePort();
}

} // namespace gp::chaos
