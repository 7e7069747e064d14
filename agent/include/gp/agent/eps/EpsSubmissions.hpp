#pragma once

#include <gp/Result.hpp>
#include <gp/agent/Clock.hpp>
#include <gp/agent/config/Practices.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace gp::agent {

/// Where EPS messages go and under whose name: taken from the agent's settings.
struct EpsRouting {
    std::string fromPartyKey;
    std::string fromAsid;
    std::string practiceOdsCode;
    std::string spineUrl; // base URL; the reliable request path is appended
    std::string spinePartyKey;
    std::string spineCpaId;
    std::string spineAsid;
    Milliseconds persistDuration{300000};
    int maxAttempts = 0;

    /// The same routing with `practice` as the sender: its party key, ASID and ODS code.
    EpsRouting forPractice(const Practice& practice) const {
        EpsRouting routing = *this;
        routing.fromPartyKey = practice.partyKey;
        routing.fromAsid = practice.asid;
        routing.practiceOdsCode = practice.odsCode;
        return routing;
    }
};

struct SubmissionResult {
    enum class Kind { Accepted, Invalid, NotStored };
    Kind kind = Kind::Invalid;
    std::string messageId;
    std::string prescriptionId;
    std::vector<std::string> itemIds; // line item ids in order, for later cancellations
    std::vector<Error> errors;        // Invalid: one per field; NotStored: the store's error
};

/// Turns a prescription from the local API into a durable outbound ParentPrescription: reads and
/// validates the JSON, assigns ids, builds the HL7 payload and the ebXML message once, and stores
/// it with its audit row and its line items (state queued, see docs/eps.md). Accepted means
/// committed to disk.
class EpsSubmissions {
public:
    EpsSubmissions(Store& store, const Clock& clock, messaging::ids::RandomSource& random,
                   EpsRouting routing);

    /// For the practice of the routing given at construction (the agent's default).
    SubmissionResult submit(std::string_view json, const std::string& actor);
    /// For `practice`: its ODS code fills the organisation left out, and the message goes out
    /// under its party key and ASID (docs/multi-practice.md).
    SubmissionResult submit(std::string_view json, const std::string& actor,
                            const Practice& practice);

private:
    SubmissionResult submitAs(std::string_view json, const std::string& actor,
                              const EpsRouting& routing);

    Store& m_store;
    const Clock& m_clock;
    messaging::ids::RandomSource& m_random;
    EpsRouting m_routing;
};

} // namespace gp::agent
