#pragma once

#include <gp/mock/FaultPlan.hpp>
#include <gp/mock/MockExchange.hpp>
#include <gp/mock/MockStore.hpp>

namespace gp::mock {

/// The test-facing API: fault rules (/_admin/faults), the journal (/_admin/journal), the
/// practice registry (/_admin/practices), the forward queue (/_admin/forwards) and the health
/// check. Each call answers JSON; routing by path and method is the request factory's.
class AdminApi {
public:
    AdminApi(FaultPlan& faults, MockStore& store) : m_faults(faults), m_store(store) {}

    MockReply listFaults() const;
    /// 201 with the rule as stored, or 400 {"error", "field"} naming the bad field.
    MockReply addFault(const MockRequest& request);
    MockReply clearFaults();
    /// The whole journal, or only ?messageId=X's entries.
    MockReply journal(const MockRequest& request);
    static MockReply health();

    /// Every registered practice, by ODS code.
    MockReply listPractices();
    /// Registers or updates a practice by ODS code: 201 when new, 200 when updated, with the
    /// practice as stored; 400 {"error", "field"} naming the bad field.
    MockReply addPractice(const MockRequest& request);
    /// The forward queue in acceptance order: messageId, interaction, conversationId, sender,
    /// recipient, state, attempts, deliveries, acceptedAt, nextAttemptAt, expiresAt, lastResult.
    MockReply forwards();

private:
    FaultPlan& m_faults;
    MockStore& m_store;
};

/// {"error": message, "field": where} with the given status.
MockReply errorReply(int status, const std::string& field, const std::string& message);

} // namespace gp::mock
