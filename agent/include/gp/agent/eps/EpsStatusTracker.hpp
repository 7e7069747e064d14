#pragma once

#include <gp/agent/store/Store.hpp>

#include <array>
#include <mutex>
#include <string>
#include <vector>

namespace gp::agent {

/// Keeps each EPS line item's state in step with Spine's answers. The dispatcher calls
/// messageFinished when an outbox message is acked, failed or expired; a prescription's items
/// become sent, rejected or undelivered, and a cancellation's item takes the state its
/// PORX_IN050101UK31 response code names (docs/eps.md lists them all). Messages that carry no
/// EPS item are ignored. Safe to call from several dispatcher threads. A record whose state is
/// acked is taken at its word (the dispatcher passes it once the ack is recorded); for any other
/// state the store is asked.
class EpsStatusTracker {
public:
    explicit EpsStatusTracker(Store& store) : m_store(store) {}

    void messageFinished(const MessageRecord& record);

    /// The item state a cancellation response code leads to: cancelled (0001),
    /// cancel-pending-with-dispenser (0002, 0003), dispensed (0004), expired (0005),
    /// already-cancelled (0006), not-found (0008), cancel-failed (anything else).
    static std::string stateForResponseCode(const std::string& code);

private:
    void prescriptionFinished(const MessageRecord& message, const std::vector<EpsItem>& items);
    void cancellationFinished(const MessageRecord& message, const std::vector<EpsItem>& items);
    void save(const std::vector<EpsItem>& changed, const std::string& messageId);
    std::mutex& lockFor(const std::string& prescriptionId);

    Store& m_store;
    // A cancellation's outcome depends on whether its prescription has been acknowledged yet;
    // handling one finished message of a prescription at a time keeps the two from deciding on
    // stale states. Messages of different prescriptions do not wait for each other, so that
    // their item updates reach the store together and share its commits.
    std::array<std::mutex, 32> m_locks;
};

} // namespace gp::agent
