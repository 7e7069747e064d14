#pragma once

#include <gp/Result.hpp>
#include <gp/agent/Clock.hpp>
#include <gp/agent/eps/EpsSubmissions.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace gp::agent {

struct CancellationResult {
    enum class Kind { Accepted, Invalid, NotStored };
    Kind kind = Kind::Invalid;
    std::string messageId;
    std::string prescriptionId;
    std::string lineItemId;
    std::vector<Error> errors; // Invalid: one per field; NotStored: the store's error
};

/// Turns a cancellation from the local API into a durable PORX_IN030101SM32 for one line item:
/// reads the JSON, fills the prescriber, organisation and NHS number in from the prescription
/// when this agent sent it, checks the item belongs to it, builds the message once and stores it
/// with the item's new state (cancel-requested). A prescription this agent does not know is
/// still sent: Spine decides whether it exists (docs/eps.md).
class EpsCancellations {
public:
    EpsCancellations(Store& store, const Clock& clock, messaging::ids::RandomSource& random,
                     EpsRouting routing);

    /// For the practice of the routing given at construction (the agent's default).
    CancellationResult cancel(std::string_view json, const std::string& actor);
    /// For `practice`, under its party key and ASID. A prescription this agent sent for another
    /// of its practices is refused (field "practice").
    CancellationResult cancel(std::string_view json, const std::string& actor,
                              const Practice& practice);

private:
    CancellationResult cancelAs(std::string_view json, const std::string& actor,
                                const EpsRouting& routing);

    Store& m_store;
    const Clock& m_clock;
    messaging::ids::RandomSource& m_random;
    EpsRouting m_routing;
};

} // namespace gp::agent
