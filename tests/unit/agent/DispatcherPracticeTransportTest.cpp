// A practice with a client certificate of its own: the dispatcher sends its messages only on
// transports made for it, and everything else on the agent's own.

#include "StoreTestSupport.hpp"

#include <gp/agent/dispatch/Dispatcher.hpp>

#include <doctest/doctest.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace gp::agent;

namespace {

/// What the labelled transports did: which transport (by label) carried which message, and how
/// many transports were alive at once.
struct Journal {
    std::mutex mutex;
    std::condition_variable sent;
    std::map<std::string, std::string> carrierOf; // messageId -> label of the transport
    std::vector<std::string> practicesAskedFor;   // by the practice factory, in order
    int alive = 0;
    int mostAlive = 0;

    bool waitForSends(std::size_t count) {
        std::unique_lock lock(mutex);
        return sent.wait_for(lock, std::chrono::seconds(20),
                             [&] { return carrierOf.size() >= count; });
    }
};

class LabelledTransport final : public HttpTransport {
public:
    LabelledTransport(std::shared_ptr<Journal> journal, std::string label)
        : m_journal(std::move(journal)), m_label(std::move(label)) {
        std::lock_guard lock(m_journal->mutex);
        m_journal->mostAlive = std::max(m_journal->mostAlive, ++m_journal->alive);
    }
    ~LabelledTransport() override {
        std::lock_guard lock(m_journal->mutex);
        --m_journal->alive;
    }

    TransportResult send(const HttpRequest& request) override {
        // The bodies are "body of <MessageId>..." (gp::test::makeMessage).
        const std::string messageId = request.body.substr(8, 36);
        {
            std::lock_guard lock(m_journal->mutex);
            m_journal->carrierOf[messageId] = m_label;
        }
        m_journal->sent.notify_all();
        TransportResult result;
        result.response = HttpResponse{202, {}, {}};
        return result;
    }

private:
    std::shared_ptr<Journal> m_journal;
    std::string m_label;
};

struct Sent {
    std::string messageId;
    std::string practice; // OutboundMessage::practice
};

/// Sends `messages` with `threads` senders; practice P83012 has a certificate of its own.
std::shared_ptr<Journal> sendAll(const std::vector<Sent>& messages, int threads) {
    gp::test::OpenStore open;
    auto journal = std::make_shared<Journal>();
    for (const Sent& sent : messages) {
        OutboundMessage message = gp::test::makeMessage(sent.messageId, open.clock.now());
        message.practice = sent.practice;
        REQUIRE(open.store->enqueue(message, gp::test::apiEvent(sent.messageId)).ok());
    }
    DispatcherSettings settings{threads, 16, Milliseconds(120000), "practice-transports"};
    Dispatcher dispatcher(
        *open.store, open.clock, open.random,
        RetryPolicy(RetryPolicySettings{Milliseconds(1000), Milliseconds(60000)}),
        [journal] { return std::make_unique<LabelledTransport>(journal, "agent"); }, settings);
    dispatcher.setPracticeTransports({"P83012"}, [journal](const std::string& odsCode) {
        {
            std::lock_guard lock(journal->mutex);
            journal->practicesAskedFor.push_back(odsCode);
        }
        return std::make_unique<LabelledTransport>(journal, "practice " + odsCode);
    });
    dispatcher.start();
    REQUIRE(journal->waitForSends(messages.size()));
    dispatcher.stop();
    for (const Sent& sent : messages) {
        CHECK(gp::test::stateName(open.store->findMessage(sent.messageId)->state) == "acked");
    }
    return journal;
}

const std::string kDefault = "A1E6C0B2-0000-4000-8000-000000000001";
const std::string kOwnCertificate = "A1E6C0B2-0000-4000-8000-000000000002";
const std::string kSharedCertificate = "A1E6C0B2-0000-4000-8000-000000000003";
const std::string kOwnLowerCase = "A1E6C0B2-0000-4000-8000-000000000004";

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("Dispatcher sends a practice's messages on that practice's transports only") {
        const auto journal = sendAll({{kDefault, ""},
                                      {kOwnCertificate, "P83012"},
                                      {kSharedCertificate, "A83008"},
                                      {kOwnLowerCase, "p83012"}},
                                     2);
        std::lock_guard lock(journal->mutex);
        CHECK(journal->carrierOf.at(kDefault) == "agent");
        CHECK(journal->carrierOf.at(kOwnCertificate) == "practice P83012");
        CHECK(journal->carrierOf.at(kSharedCertificate) == "agent"); // no certificate of its own
        CHECK(journal->carrierOf.at(kOwnLowerCase) == "practice P83012");
        REQUIRE_FALSE(journal->practicesAskedFor.empty());
        for (const auto& asked : journal->practicesAskedFor) {
            CHECK(asked == "P83012");
        }
        CHECK(journal->alive == 0); // all closed at stop
    }

    TEST_CASE("Dispatcher keeps no more transports than senders across practices") {
        std::vector<Sent> messages;
        for (int i = 0; i < 6; ++i) {
            messages.push_back({"B2F7D1C3-0000-4000-8000-00000000000" + std::to_string(i),
                                i % 2 == 0 ? "" : "P83012"});
        }
        const auto journal = sendAll(messages, 1);
        std::lock_guard lock(journal->mutex);
        // One sender alternating between the agent's identity and the practice's: each new
        // transport replaced the idle one of the other identity rather than joining it.
        CHECK(journal->mostAlive == 1);
        int own = 0;
        for (const auto& [id, label] : journal->carrierOf) {
            own += label == "practice P83012" ? 1 : 0;
        }
        CHECK(own == 3);
    }
}
