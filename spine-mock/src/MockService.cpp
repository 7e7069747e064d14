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

} // namespace

MockService::MockService(MockConfig config, const Clock& clock,
                         messaging::ids::RandomSource& random, Waiter& waiter)
    : m_config(std::move(config)), m_store(m_config.stateDir),
      m_eps(m_config, m_store, m_faults, clock, random, waiter), m_admin(m_faults, m_store) {
    for (auto& rule : loadFaults(m_config.faultsFile)) {
        m_faults.add(std::move(rule));
    }
}

} // namespace gp::mock
