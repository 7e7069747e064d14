#pragma once

#include <gp/mock/FaultRule.hpp>

#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace gp::mock {

/// The pending fault rules, shared by the request threads and the admin API. Rules apply in the
/// order they were added; each match uses up one of a rule's `times`, and a spent rule goes.
class FaultPlan {
public:
    void add(FaultRule rule);
    void clear();
    std::vector<FaultRule> list() const;

    /// The fault for one request (or delivery, on the forward leg) of `interaction`, counting it
    /// against the first matching rule of that leg.
    std::optional<Fault> take(std::string_view interaction, Leg leg = Leg::Inbound);

private:
    mutable std::mutex m_mutex;
    std::vector<FaultRule> m_rules;
};

} // namespace gp::mock
