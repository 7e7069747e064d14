#include "ChaosChecks.hpp"

#include "ChaosDatabase.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <set>

namespace gp::chaos {

namespace fs = std::filesystem;

namespace {

const char* const kFinalMessageStates = "('acked', 'failed', 'expired')";

ReadOnlyDatabase databaseOf(test::Agent& agent) {
    return ReadOnlyDatabase(agent.stateDir() / "gp-agent.db");
}

std::string practiceName(int index) {
    return index == kOldPractice ? "practice A" : "practice B";
}

std::vector<Poco::JSON::Object::Ptr> adminArray(test::SpineMock& mock, const std::string& path) {
    const auto reply = agent::ApiClient("127.0.0.1", mock.port(), "").get(path);
    if (reply.status != 200) {
        throw std::runtime_error("spine-mock " + path + ": HTTP " + std::to_string(reply.status));
    }
    Poco::JSON::Parser parser;
    const auto array = parser.parse(reply.body).extract<Poco::JSON::Array::Ptr>();
    std::vector<Poco::JSON::Object::Ptr> out;
    for (unsigned i = 0; i < array->size(); ++i) {
        out.push_back(array->getObject(i));
    }
    return out;
}

std::string text(const Poco::JSON::Object::Ptr& object, const std::string& key) {
    return object->has(key) && !object->isNull(key) ? object->getValue<std::string>(key) : "";
}

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool isEps(const std::string& interaction) {
    return interaction.rfind("PORX_", 0) == 0;
}

} // namespace

void Checks::violation(std::string description) {
    m_violations.push_back(std::move(description));
}

std::vector<std::string> Checks::inFlight() {
    std::vector<std::string> busy;
    for (int index = 0; index < kAgents; ++index) {
        const auto database = databaseOf(m_world.agent(index));
        const auto note = [&](const std::string& what, long long count) {
            if (count > 0) {
                busy.push_back(practiceName(index) + ": " + std::to_string(count) + " " + what);
            }
        };
        note("outbox messages not ended", database.count(std::string("SELECT COUNT(*) FROM messages"
                                                                     " WHERE state NOT IN ") +
                                                         kFinalMessageStates));
        note("inbound messages not processed",
             database.count("SELECT COUNT(*) FROM inbox WHERE state = 'received'"));
        note("GP2GP transfers not ended",
             database.count("SELECT COUNT(*) FROM conversations"
                            " WHERE state NOT IN ('closed', 'failed')"));
        note("e-RS requests not ended",
             database.count("SELECT COUNT(*) FROM ers_requests"
                            " WHERE state NOT IN ('complete', 'failed', 'cancelled')"));
    }
    long long pending = 0;
    for (const auto& forward : adminArray(m_world.mock(), "/_admin/forwards")) {
        pending += text(forward, "state") == "pending";
    }
    if (pending > 0) {
        busy.push_back("spine-mock: " + std::to_string(pending) + " hub deliveries pending");
    }
    return busy;
}

bool Checks::drain(std::chrono::seconds timeout) {
    std::vector<std::string> busy;
    const bool quiet = test::waitUntil(
        [&] {
            try {
                busy = inFlight();
            } catch (const std::exception& error) {
                busy = {error.what()};
            }
            return busy.empty();
        },
        timeout);
    if (!quiet) {
        for (const auto& what : busy) {
            violation("stuck after " + std::to_string(timeout.count()) + " s: " + what);
        }
    }
    return quiet;
}

void Checks::verify() {
    checkOutboxes();
    checkLedger();
    checkSpineJournal();
    checkReferralsInErs();
    checkAuditTrails();
}

void Checks::checkOutboxes() {
    for (int index = 0; index < kAgents; ++index) {
        const auto database = databaseOf(m_world.agent(index));
        for (const auto& row : database.rows("SELECT message_id, state, last_error_code,"
                                             " interaction FROM messages")) {
            const std::string& state = row[1];
            ++m_figures.outboxByState[state];
            if (state == "failed" || state == "expired") {
                if (row[2].empty()) {
                    violation(practiceName(index) + ": message " + row[0] + " (" + row[3] +
                              ") is " + state + " without a reason");
                }
                ++m_figures.endedWithReason[state + " " + row[3] + " " + row[2]];
            } else if (state != "acked") {
                violation(practiceName(index) + ": message " + row[0] + " (" + row[3] +
                          ") ended the campaign " + state);
            }
        }
        m_figures.receiverDuplicates +=
            database.count("SELECT COUNT(*) FROM audit WHERE event = 'duplicate-received'");
    }
}

void Checks::checkLedger() {
    std::array<std::map<std::string, std::pair<std::string, std::string>>, kAgents> messages;
    for (int index = 0; index < kAgents; ++index) {
        for (const auto& row :
             databaseOf(m_world.agent(index))
                 .rows("SELECT message_id, state, last_error_code FROM messages")) {
            messages[static_cast<std::size_t>(index)][row[0]] = {row[1], row[2]};
        }
    }
    const auto find = [&](int agent, const std::string& messageId, const std::string& what) {
        const auto& known = messages[static_cast<std::size_t>(agent)];
        const auto found = known.find(messageId);
        if (found == known.end()) {
            ++m_figures.lost;
            violation("LOST: " + practiceName(agent) + " accepted " + what + " " + messageId +
                      " and has no such message");
            return std::pair<std::string, std::string>{};
        }
        return found->second;
    };
    for (const auto& prescription : m_ledger.prescriptions) {
        const auto [state, code] =
            find(prescription.agent, prescription.messageId, "prescription message");
        if (state == "failed" && code == "0002") {
            // The campaign's prescription ids are unique: Spine saw this one under two MessageIds.
            ++m_figures.processedTwice;
            violation("TWICE: prescription " + prescription.prescriptionId + " (message " +
                      prescription.messageId + ") was refused as a duplicate (0002)");
        }
    }
    for (const auto& cancellation : m_ledger.cancellations) {
        find(cancellation.agent, cancellation.messageId, "cancellation message");
    }

    for (const auto& referral : m_ledger.referrals) {
        const auto rows = databaseOf(m_world.agent(referral.agent))
                              .rows("SELECT state, error_code FROM ers_requests"
                                    " WHERE request_id = '" +
                                    referral.requestId + "'");
        if (rows.empty()) {
            ++m_figures.lost;
            violation("LOST: " + practiceName(referral.agent) + " accepted e-RS request " +
                      referral.requestId + " and has no such request");
        } else if (rows[0][0] == "failed") {
            ++m_figures.referralsFailed;
            if (rows[0][1].empty()) {
                violation("e-RS request " + referral.requestId + " failed without a reason");
            }
        }
    }

    const auto requester = databaseOf(m_world.agent(kNewPractice));
    const auto sender = databaseOf(m_world.agent(kOldPractice));
    for (const auto& transfer : m_ledger.transfers) {
        const std::string where = " WHERE conversation_id = '" + transfer.conversationId + "'";
        const auto asked = requester.rows("SELECT state, error_code FROM conversations" + where);
        if (asked.empty()) {
            ++m_figures.lost;
            violation("LOST: practice B accepted GP2GP request " + transfer.conversationId +
                      " and has no such transfer");
            continue;
        }
        const auto sent = sender.rows("SELECT state, error_code FROM conversations" + where);
        if (asked[0][0] == "failed") {
            ++m_figures.transfersFailed;
            if (asked[0][1].empty()) {
                violation("GP2GP transfer " + transfer.conversationId + " failed without a code");
            }
            continue;
        }
        if (asked[0][0] != "closed") {
            violation("GP2GP transfer " + transfer.conversationId + " ended the campaign " +
                      asked[0][0] + " at practice B");
            continue;
        }
        ++m_figures.recordsClosed;
        if (sent.empty() || sent[0][0] != "closed") {
            violation("GP2GP transfer " + transfer.conversationId +
                      " closed at practice B but is " + (sent.empty() ? "unknown" : sent[0][0]) +
                      " at practice A");
        }
        bool identical = true;
        for (const auto& document : transfer.documents) {
            const fs::path imported = m_world.importDir() / transfer.conversationId / document.file;
            if (!fs::exists(imported) || readFile(imported) != document.bytes) {
                identical = false;
                violation(
                    "GP2GP transfer " + transfer.conversationId + ": " + document.file +
                    (fs::exists(imported) ? " differs from its source" : " was not imported"));
            }
        }
        m_figures.recordsIdentical += identical;
    }
}

void Checks::checkSpineJournal() {
    struct Seen {
        std::string interaction;
        int processed = 0; // EPS: processed or held; e-RS create: processed
        int accepted = 0;  // hub: stored for forwarding
    };
    std::map<std::string, Seen> byMessage;
    for (const auto& entry : m_world.mock().journal()) {
        const std::string messageId = text(entry, "messageId");
        const std::string outcome = text(entry, "outcome");
        Seen& seen = byMessage[messageId];
        seen.interaction = text(entry, "interaction");
        if (outcome == "replayed") {
            ++m_figures.replaysAnswered;
        } else if (outcome == "accepted") {
            ++seen.accepted;
        } else if ((outcome == "processed" || outcome == "held") &&
                   (isEps(seen.interaction) || seen.interaction == "A011")) {
            ++seen.processed;
        }
    }
    for (const auto& [messageId, seen] : byMessage) {
        if (messageId.empty()) {
            continue;
        }
        if (seen.processed > 1 || seen.accepted > 1) {
            ++m_figures.processedTwice;
            violation("TWICE: spine-mock processed " + seen.interaction + " " + messageId + " " +
                      std::to_string(std::max(seen.processed, seen.accepted)) + " times");
        }
        m_figures.epsProcessed += isEps(seen.interaction) ? seen.processed : 0;
        m_figures.hubAccepted += seen.accepted;
    }
    // Every message an agent saw acknowledged reached Spine exactly once.
    for (int index = 0; index < kAgents; ++index) {
        for (const auto& row : databaseOf(m_world.agent(index))
                                   .rows("SELECT message_id, interaction, service FROM messages"
                                         " WHERE state = 'acked' AND kind = 'ebxml'")) {
            const auto found = byMessage.find(row[0]);
            const Seen seen = found == byMessage.end() ? Seen{} : found->second;
            const int times = isEps(row[1]) ? seen.processed : seen.accepted;
            if (times != 1) {
                violation(practiceName(index) + ": " + row[1] + " " + row[0] +
                          " is acked but spine-mock's journal shows it processed " +
                          std::to_string(times) + " times");
            }
        }
    }
}

void Checks::checkReferralsInErs() {
    std::map<std::string, std::vector<Poco::JSON::Object::Ptr>> byRequest;
    for (const auto& referral : adminArray(m_world.mock(), "/_admin/ers/referrals")) {
        ++m_figures.referralsMade;
        const std::string correlation = text(referral, "correlationId");
        const auto cut = correlation.rfind("-create-");
        byRequest[correlation.substr(0, cut)].push_back(referral);
    }
    for (const auto& request : m_ledger.referrals) {
        const auto rows = databaseOf(m_world.agent(request.agent))
                              .rows("SELECT state, ubrn FROM ers_requests WHERE request_id = '" +
                                    request.requestId + "'");
        const auto& made = byRequest[request.requestId];
        if (made.size() > 1) {
            ++m_figures.processedTwice;
            violation("TWICE: e-RS holds " + std::to_string(made.size()) +
                      " referrals for request " + request.requestId);
        }
        if (!rows.empty() && rows[0][0] == "complete") {
            if (made.size() != 1 || text(made[0], "ubrn") != rows[0][1]) {
                violation("e-RS request " + request.requestId + " is complete with UBRN " +
                          rows[0][1] + " but e-RS does not hold exactly that referral");
            } else if (made[0]->getArray("attachments")->size() != 1) {
                violation("e-RS referral " + rows[0][1] + " has " +
                          std::to_string(made[0]->getArray("attachments")->size()) +
                          " letters attached, not 1");
            }
        }
    }
}

void Checks::checkAuditTrails() {
    for (int index = 0; index < kAgents; ++index) {
        const auto verify =
            test::runAgentCtl(m_world.agent(index).configFile(), {"audit", "verify"});
        if (verify.exitCode != 0) {
            violation(practiceName(index) + ": gp-agentctl audit verify exited " +
                      std::to_string(verify.exitCode) + ": " + verify.output);
        }
    }
}

} // namespace gp::chaos
