#pragma once

// The processes the campaign tortures: one spine-mock (EPS, the GP2GP hub and directory, e-RS)
// and two gp-agents, practice A (the patients' old practice, which holds the records) and
// practice B (the new one, which asks for them). Both agents also send prescriptions and
// referrals. Each can be killed and started again; an agent can be started with the crash
// tripwire armed.

#include "ProcessHarness.hpp"

#include <array>
#include <filesystem>
#include <memory>
#include <string>

namespace gp::chaos {

inline constexpr int kOldPractice = 0; // practice A: holds the records, sends them
inline constexpr int kNewPractice = 1; // practice B: asks for them, imports them
inline constexpr int kAgents = 2;

class World {
public:
    explicit World(const std::filesystem::path& root);

    test::SpineMock& mock() { return m_mock; }
    test::Agent& agent(int index) { return *m_agents.at(static_cast<std::size_t>(index)); }
    const test::TestPractice& practice(int index) const;

    const std::filesystem::path& recordSource() const { return m_recordSource; }
    const std::filesystem::path& importDir() const { return m_importDir; }
    const std::filesystem::path& root() const { return m_root; }

    /// Starts the agent (not armed) and tells the hub its new inbound port.
    void startAgent(int index);
    /// Starts the agent with GP_TEST_ABORT_AT_TRANSITION=`spec` in its environment only. Returns
    /// false when it died before it was up (the tripwire fired during start-up).
    bool startArmedAgent(int index, const std::string& spec);
    /// Starts spine-mock again on its port, so the agents' configured URL reaches it.
    void restartMock();
    /// Registers both practices' current inbound URLs with the hub.
    void registerPractices();

private:
    std::filesystem::path m_root;
    std::filesystem::path m_recordSource;
    std::filesystem::path m_importDir;
    test::SpineMock m_mock;
    std::array<std::unique_ptr<test::Agent>, kAgents> m_agents;
};

} // namespace gp::chaos
