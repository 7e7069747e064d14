// One Gp2gpService acting for two practices (a hosted agent) and a single-practice agent, each
// on a store of its own, with a fake directory and a hub that carries each outbound message to
// the agent that holds the practice it is addressed to, as the Spine would.

#include "StoreTestSupport.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/gp2gp/Gp2gpService.hpp>
#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/gp2gp/Gp2gpMessages.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <map>

namespace {

using gp::agent::Gp2gpService;
using gp::agent::Milliseconds;
using gp::agent::Route;
namespace wire = gp::messaging::gp2gp;

const std::string kNhs = "9449304130";
const std::string kFirst = "A83008";  // hosted, the agent's default practice
const std::string kSecond = "P83012"; // hosted
const std::string kRemote = "B86041"; // an agent of its own

std::string partyKeyOf(const std::string& ods) {
    return ods + "-9199121";
}
std::string asidOf(const std::string& ods) {
    return ods == kFirst ? "200000000111" : ods == kSecond ? "200000000333" : "200000000222";
}
gp::agent::Practice practiceOf(const std::string& ods) {
    return gp::agent::Practice{ods, partyKeyOf(ods), asidOf(ods), {}, {}};
}

class FakeSds final : public gp::agent::RouteLookup {
public:
    gp::Result<Route> lookup(const std::string& odsCode,
                             const std::string& serviceInteraction) override {
        Route route;
        route.odsCode = odsCode;
        route.serviceInteraction = serviceInteraction;
        route.partyKey = partyKeyOf(odsCode);
        route.asid = asidOf(odsCode);
        route.endpoint = "hub://" + odsCode;
        route.cpaId = "S" + odsCode + "CPA";
        route.persistDuration = Milliseconds(5 * 60 * 1000);
        return route;
    }
};

void writeFile(const std::filesystem::path& path, const std::string& content) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << content;
}

std::string recordJson(const std::string& attachments) {
    return R"({"patient": {"nhsNumber": ")" + kNhs +
           R"("}, "compositions": [{"title": "Consultation", "effectiveTime": "2024-01-05",
           "entries": [{"kind": "narrative", "text": "Reviewed."}]}], "attachments": )" +
           attachments + "}";
}

struct Agent {
    Agent(std::vector<gp::agent::Practice> practices, gp::test::ManualClock& clock, FakeSds& sds,
          std::uint64_t seed)
        : random(seed) {
        store = state.open(clock);
        settings.importDir = dir.path() / "import";
        settings.recordSource = dir.path() / "records";
        settings.largeThreshold = 40'000;
        service = std::make_unique<Gp2gpService>(
            Gp2gpService::Dependencies{*store, sds, clock, random, nullptr},
            gp::agent::PracticeDirectory(std::move(practices)), settings, dir.path() / "gp2gp");
    }

    gp::agent::Conversation transfer(const std::string& id) {
        auto found = store->findConversation(id);
        REQUIRE(found.has_value());
        return *found;
    }

    gp::test::TempDir dir;
    gp::test::TestStoreState state{dir.file("agent.db")};
    gp::test::SeededRandom random;
    gp::agent::AgentSettings::Gp2gp settings;
    std::unique_ptr<gp::agent::Store> store;
    std::unique_ptr<Gp2gpService> service;
};

/// What the hub saw of one message on its way.
struct Carried {
    std::string conversationId;
    std::string interaction;
    std::string fromPartyId;
    std::string toPartyId;
    std::string authorOds; // the request's requester, the extract's sender; else empty
};

struct Hub {
    gp::test::ManualClock& clock;
    std::map<std::string, Agent*> agentOf; // ODS code -> the agent acting for it
    std::vector<Carried> carried;
    int sequence = 0;

    int deliverFrom(Agent& from) {
        auto claimed = from.store->claimDue("hub", Milliseconds(60000), 100);
        REQUIRE(claimed.ok());
        for (const auto& message : *claimed) {
            const std::string body = message.bodyFile.empty()
                                         ? message.body
                                         : gp::agent::readWholeFile(message.bodyFile);
            auto parsed = gp::messaging::ebxml::parseMessage(message.contentType, body);
            REQUIRE(parsed.ok());
            auto read = wire::readGp2gpMessage(*parsed, 1 << 30);
            REQUIRE(read.ok());
            const auto& header = parsed->header;
            carried.push_back({header.conversationId, header.action, header.fromPartyId,
                               header.toPartyId,
                               read->request   ? read->request->requesterOds
                               : read->extract ? read->extract->senderOds
                                               : std::string()});
            Agent& to = *agentOf.at(message.record.endpoint.substr(std::string("hub://").size()));
            gp::agent::InboundMessage inbound;
            inbound.messageId = header.messageId;
            inbound.conversationId = header.conversationId;
            inbound.service = header.service;
            inbound.interaction = header.action;
            inbound.fromPartyId = header.fromPartyId;
            inbound.refToMessageId = header.refToMessageId;
            inbound.contentType = message.contentType;
            inbound.bodyFile = to.dir.path() / "inbox" / (std::to_string(++sequence) + ".mime");
            writeFile(inbound.bodyFile, body);
            inbound.bodyBytes = static_cast<std::int64_t>(body.size());
            inbound.receivedAt = clock.now();
            inbound.keepUntil = clock.now() + std::chrono::hours(24);
            REQUIRE(to.store
                        ->admitInbound(inbound, gp::agent::AuditEvent{"inbound", "received",
                                                                      inbound.messageId, ""})
                        .ok());
            REQUIRE(from.store->recordAcked(message.record.messageId, "hub", "delivered").ok());
        }
        return static_cast<int>(claimed->size());
    }

    void settle(std::vector<Agent*> agents) {
        for (int round = 0; round < 200; ++round) {
            int moved = 0;
            for (Agent* agent : agents) {
                moved += agent->service->runOnce();
            }
            for (Agent* agent : agents) {
                moved += deliverFrom(*agent);
            }
            if (moved == 0) {
                return;
            }
        }
        FAIL("the agents never settled");
    }
};

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("gp2gp for two practices in one service: each answers and asks as itself") {
        gp::test::ManualClock clock;
        FakeSds sds;
        Agent hosted({practiceOf(kFirst), practiceOf(kSecond)}, clock, sds, 1);
        Agent remote({practiceOf(kRemote)}, clock, sds, 2);
        Hub hub{clock, {{kFirst, &hosted}, {kSecond, &hosted}, {kRemote, &remote}}, {}, 0};

        // The patient is registered at the second hosted practice (its own folder) and at the
        // remote one; the first hosted practice does not hold them.
        const std::string note = "a short note\n";
        const auto secondFolder = hosted.settings.recordSource / kSecond / kNhs;
        writeFile(secondFolder / "note.txt", note);
        writeFile(secondFolder / "record.json",
                  recordJson(R"([{"file": "note.txt", "contentType": "text/plain"}])"));
        writeFile(remote.settings.recordSource / kNhs / "record.json", recordJson("[]"));

        const auto fromSecond = remote.service->requestRecord(kRemote, kNhs, kSecond, "test");
        const auto fromFirst = remote.service->requestRecord(kRemote, kNhs, kFirst, "test");
        const auto asFirst = hosted.service->requestRecord(kFirst, kNhs, kRemote, "test");
        REQUIRE(fromSecond.ok());
        REQUIRE(fromFirst.ok());
        REQUIRE(asFirst.ok());
        hub.settle({&hosted, &remote});

        // Addressed to the second practice: served as it, from its own record folder.
        const auto served = hosted.transfer(*fromSecond);
        CHECK(served.role == "sender");
        CHECK(served.localOds == kSecond);
        CHECK(served.state == "closed");
        CHECK(remote.transfer(*fromSecond).state == "closed");
        CHECK(gp::agent::readWholeFile(remote.settings.importDir / *fromSecond / "note.txt") ==
              note);

        // Addressed to the first: refused as the first, which does not hold the patient, although
        // the same agent's second practice does.
        const auto refused = hosted.transfer(*fromFirst);
        CHECK(refused.localOds == kFirst);
        CHECK(refused.state == "failed");
        CHECK(refused.errorCode == "06");
        CHECK(remote.transfer(*fromFirst).errorCode == "06");

        // Asked for by the first: requested and imported as it, into its own import folder.
        const auto received = hosted.transfer(*asFirst);
        CHECK(received.role == "requester");
        CHECK(received.localOds == kFirst);
        CHECK(received.state == "closed");
        CHECK(std::filesystem::exists(hosted.settings.importDir / kFirst / *asFirst /
                                      "ehr-extract.xml"));

        // On the wire every message of the hosted agent carries the identity of its transfer's
        // practice; the extract is authored by the practice asked, the request by the one asking.
        int extracts = 0;
        int requests = 0;
        for (const auto& message : hub.carried) {
            CAPTURE(message.interaction);
            if (message.toPartyId == partyKeyOf(kRemote)) {
                const std::string as = message.conversationId == *fromSecond ? kSecond : kFirst;
                CHECK(message.fromPartyId == partyKeyOf(as));
                if (message.interaction == wire::kEhrExtract) {
                    CHECK(message.authorOds == kSecond);
                    ++extracts;
                }
                if (message.interaction == wire::kEhrRequest) {
                    CHECK(message.conversationId == *asFirst);
                    CHECK(message.authorOds == kFirst);
                    ++requests;
                }
            }
        }
        CHECK(extracts == 1);
        CHECK(requests == 1);

        // And each outbound message is stored as its practice's (its certificate, its listing).
        int messages = 0;
        for (const auto& id : {*fromSecond, *fromFirst, *asFirst}) {
            for (const auto& message : hosted.store->messagesOf(id)) {
                CHECK(message.practice == (id == *fromSecond ? kSecond : kFirst));
                ++messages;
            }
        }
        CHECK(messages >= 5);
    }

    TEST_CASE("gp2gp for several practices: a request as a practice the agent lacks is refused") {
        gp::test::ManualClock clock;
        FakeSds sds;
        Agent hosted({practiceOf(kFirst), practiceOf(kSecond)}, clock, sds, 3);
        const auto refused = hosted.service->requestRecord("C81001", kNhs, kRemote, "test");
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().where == "practice");
        // Nor between two practices of the agent: both ends would be one transfer row.
        const auto sibling = hosted.service->requestRecord(kFirst, kNhs, kSecond, "test");
        REQUIRE_FALSE(sibling.ok());
        CHECK(sibling.error().where == "fromOdsCode");
        CHECK(hosted.store->listConversations("", 10).empty());
        // A practice's own ODS code in any case is the practice.
        CHECK(hosted.service->requestRecord("p83012", kNhs, kRemote, "test").ok());
        CHECK(hosted.store->listConversations("", 10).front().localOds == kSecond);
    }
}
