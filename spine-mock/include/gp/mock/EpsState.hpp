#pragma once

#include <gp/Result.hpp>
#include <gp/mock/EpsRules.hpp>
#include <gp/mock/MockStore.hpp>

#include <optional>
#include <string>
#include <vector>

namespace gp::mock {

/// What the mock knows of a prescription when a cancellation names one of its items.
struct PrescriptionLookup {
    bool prescriptionKnown = false;
    std::optional<ItemState> item; // nothing when the prescription has no such item
};

/// One poll of a deferred reply.
struct DeferredPoll {
    std::string messageId; // whose stored reply the poll is for
    std::string interaction;
    bool pending = false; // true: answer 202 again (one of the polls left was used)
};

/// EPS state in spine-mock.db (tables eps_items, eps_held_cancellations, eps_deferred), written
/// through the MockStore's connection so that every change commits with its reply and journal
/// line.
class EpsState {
public:
    explicit EpsState(MockStore& store) : m_store(store) {}

    Result<PrescriptionLookup> lookup(const std::string& prescriptionId,
                                      const std::string& lineItemId);

    /// An accepted ParentPrescription: its reply (for replays), its id, its items (live) and its
    /// journal line; then every cancellation held for it is applied in the same transaction. A
    /// held cancellation of one of its items cancels it (journal "held-applied", 0001); one of an
    /// item it does not have is dropped (journal "held-discarded", 0008). Returns those lines.
    Result<std::vector<JournalEntry>> recordPrescription(const JournalEntry& entry,
                                                         const StoredReply& reply,
                                                         const std::string& prescriptionId,
                                                         const std::vector<std::string>& items);

    /// A processed cancellation: its reply and journal line, the item's new state (when not
    /// empty) and, when `hold`, the cancellation kept for a prescription still to come.
    Status recordCancellation(const JournalEntry& entry, const StoredReply& reply,
                              const std::string& prescriptionId, const std::string& lineItemId,
                              const std::string& newState, bool hold);

    /// Sets an accepted item's state (dispensed, with-dispenser): false when there is no such
    /// item.
    Result<bool> setItemState(const std::string& prescriptionId, const std::string& lineItemId,
                              const std::string& state, const std::string& dispenserOds);

    /// A poll token for the stored reply of `messageId`; the first `polls` polls say "not yet".
    Status addDeferral(const std::string& token, const std::string& messageId,
                       const std::string& interaction, int polls);
    /// Nothing for an unknown token.
    Result<std::optional<DeferredPoll>> poll(const std::string& token);

private:
    MockStore& m_store;
};

} // namespace gp::mock
