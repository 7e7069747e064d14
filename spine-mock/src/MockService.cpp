#include <gp/mock/MockService.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gp::mock {

namespace {

std::vector<FaultRule> loadFaults(const std::string& path) {
    if (path.empty()) {
        return {};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("mock.faults: cannot read " + path);
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto rules = parseFaultRules(text.str());
    if (!rules) {
        throw std::runtime_error("mock.faults: " + path + ": " + rules.error().describe());
    }
    return std::move(*rules);
}

std::vector<Practice> loadRegistry(const std::string& path) {
    if (path.empty()) {
        return {};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("mock.registry: cannot read " + path);
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto practices = parsePractices(text.str());
    if (!practices) {
        throw std::runtime_error("mock.registry: " + path + ": " + practices.error().describe());
    }
    return std::move(*practices);
}

} // namespace

MockService::MockService(MockConfig config, const Clock& clock,
                         messaging::ids::RandomSource& random, Waiter& waiter)
    : m_config(std::move(config)), m_store(m_config.stateDir),
      m_forwarder(m_config, m_store, m_faults, clock),
      m_eps(m_config, m_store, m_faults, clock, random, waiter),
      m_forwardEndpoint(m_config, m_store, m_faults, clock, random, waiter,
                        [this] { m_forwarder.wake(); }),
      m_directory(m_config, m_store), m_admin(m_faults, m_store),
      m_ers(m_config, m_store, m_faults, clock, random, waiter) {
    for (auto& rule : loadFaults(m_config.faultsFile)) {
        m_faults.add(std::move(rule));
    }
    for (const auto& practice : loadRegistry(m_config.registryFile)) {
        if (auto stored = m_store.upsertPractice(practice); !stored) {
            throw std::runtime_error("mock.registry: " + m_config.registryFile + ": " +
                                     practice.odsCode + ": " + stored.error().describe());
        }
    }
}

} // namespace gp::mock
