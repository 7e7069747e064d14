#include <gp/mock/FaultPlan.hpp>

namespace gp::mock {

void FaultPlan::add(FaultRule rule) {
    std::lock_guard lock(m_mutex);
    m_rules.push_back(std::move(rule));
}

void FaultPlan::clear() {
    std::lock_guard lock(m_mutex);
    m_rules.clear();
}

std::vector<FaultRule> FaultPlan::list() const {
    std::lock_guard lock(m_mutex);
    return m_rules;
}

std::optional<Fault> FaultPlan::take(std::string_view interaction, Leg leg) {
    std::lock_guard lock(m_mutex);
    for (auto rule = m_rules.begin(); rule != m_rules.end(); ++rule) {
        if (rule->leg != leg || (rule->interaction != "*" && rule->interaction != interaction)) {
            continue;
        }
        Fault fault = rule->fault;
        if (--rule->times <= 0) {
            m_rules.erase(rule);
        }
        return fault;
    }
    return std::nullopt;
}

} // namespace gp::mock
