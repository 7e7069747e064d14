// Two practices in one process: two Gp2gpService instances on two real SQLite stores, a fake
// directory, and a tiny hub that moves each outbound message into the other practice's inbox,
// driven pass by pass on a manual clock.

#include "StoreTestSupport.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/gp2gp/Gp2gpService.hpp>
#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/gp2gp/Gp2gpMessages.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>

namespace {

using gp::agent::Conversation;
using gp::agent::Gp2gpService;
using gp::agent::Milliseconds;
using gp::agent::Route;
namespace wire = gp::messaging::gp2gp;

const std::string kNhs = "9449304130";
const std::string kOld = "A83008"; // the sending practice
const std::string kNew = "B86041"; // the requesting practice

class FakeDirectory final : public gp::agent::RouteLookup {
public:
    gp::Result<Route> lookup(const std::string& odsCode,
                             const std::string& serviceInteraction) override {
        if (unknown.count(odsCode) > 0) {
            return gp::failure("sds", "no route for " + odsCode);
        }
        Route route;
        route.odsCode = odsCode;
        route.serviceInteraction = serviceInteraction;
        route.partyKey = odsCode + "-9199121";
        route.asid = odsCode == kOld ? "200000000111" : "200000000222";
        route.endpoint = "hub://" + odsCode;
        route.cpaId = "S" + odsCode + "CPA";
        route.persistDuration = Milliseconds(5 * 60 * 1000);
        return route;
    }
    std::set<std::string> unknown;
};

void writeFile(const std::filesystem::path& path, const std::string& content) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << content;
}

std::string randomBytes(std::size_t size, unsigned seed) {
    std::mt19937 engine(seed);
    std::string bytes(size, '\0');
    for (char& c : bytes) {
        c = static_cast<char>(engine() & 0xff);
    }
    return bytes;
}

struct Practice {
    Practice(const std::string& ods, gp::test::ManualClock& clock, FakeDirectory& directory,
             std::uint64_t seed, std::uint64_t threshold, bool autoAck = true)
        : odsCode(ods), random(seed) {
        store = state.open(clock);
        settings.importDir = dir.path() / "import";
        settings.recordSource = dir.path() / "records";
        settings.largeThreshold = threshold;
        settings.autoAck = autoAck;
        service = std::make_unique<Gp2gpService>(
            Gp2gpService::Dependencies{*store, directory, clock, random, nullptr},
            gp::agent::PracticeIdentity{ods, ods + "-9199121",
                                        ods == kOld ? "200000000111" : "200000000222"},
            settings, dir.path() / "gp2gp");
    }

    Conversation only() {
        auto all = store->listConversations("", 10);
        REQUIRE(all.size() == 1);
        return all.front();
    }

    std::string odsCode;
    gp::test::TempDir dir;
    gp::test::TestStoreState state{dir.file("agent.db")}; // each practice its own store
    gp::test::SeededRandom random;
    gp::agent::AgentSettings::Gp2gp settings;
    std::unique_ptr<gp::agent::Store> store;
    std::unique_ptr<Gp2gpService> service;
};

/// Moves messages between practices as Spine's forward-reliable hop would: the sender's outbox
/// entry is acknowledged once the recipient has stored the message. `lose` drops a message on
/// the way (acknowledged, never delivered).
struct Hub {
    gp::test::ManualClock& clock;
    std::map<std::string, Practice*> practices;
    std::function<bool(const wire::InboundGp2gp&)> lose;
    std::vector<std::string> delivered; // interactions, in order
    int sequence = 0;
    bool reverse = false; // deliver what one pass claimed last first

    int deliverFrom(Practice& from) {
        auto claimed = from.store->claimDue("hub", Milliseconds(60000), 100);
        REQUIRE(claimed.ok());
        if (reverse) {
            std::reverse(claimed->begin(), claimed->end());
        }
        for (const auto& message : *claimed) {
            const std::string body = message.bodyFile.empty()
                                         ? message.body
                                         : gp::agent::readWholeFile(message.bodyFile);
            auto parsed = gp::messaging::ebxml::parseMessage(message.contentType, body);
            REQUIRE(parsed.ok());
            auto read = wire::readGp2gpMessage(*parsed, 1 << 30);
            REQUIRE(read.ok());
            const std::string ods = message.record.endpoint.substr(std::string("hub://").size());
            REQUIRE(practices.count(ods) == 1);
            Practice& to = *practices[ods];
            if (!(lose && lose(*read))) {
                gp::agent::InboundMessage inbound;
                inbound.messageId = parsed->header.messageId;
                inbound.conversationId = parsed->header.conversationId;
                inbound.service = parsed->header.service;
                inbound.interaction = parsed->header.action;
                inbound.fromPartyId = parsed->header.fromPartyId;
                inbound.refToMessageId = parsed->header.refToMessageId;
                inbound.contentType = message.contentType;
                inbound.bodyFile = to.dir.path() / "inbox" / (std::to_string(++sequence) + ".mime");
                writeFile(inbound.bodyFile, body);
                inbound.bodyBytes = static_cast<std::int64_t>(body.size());
                inbound.receivedAt = clock.now();
                inbound.keepUntil = clock.now() + std::chrono::hours(24);
                auto admitted = to.store->admitInbound(
                    inbound, gp::agent::AuditEvent{"inbound", "received", inbound.messageId, ""});
                REQUIRE(admitted.ok());
                delivered.push_back(inbound.interaction);
            }
            REQUIRE(from.store->recordAcked(message.record.messageId, "hub", "delivered").ok());
        }
        return static_cast<int>(claimed->size());
    }

    /// Runs both services and the hub until nothing moves.
    void settle() {
        for (int round = 0; round < 200; ++round) {
            int moved = 0;
            for (auto& [ods, practice] : practices) {
                moved += practice->service->runOnce();
            }
            for (auto& [ods, practice] : practices) {
                moved += deliverFrom(*practice);
            }
            if (moved == 0) {
                return;
            }
        }
        FAIL("the practices never settled");
    }
};

std::string recordJson(const std::string& attachments, int extraEntries = 0) {
    std::string entries = R"({"kind": "observation", "code": "27113001",
                              "displayName": "Body weight", "value": "72", "unit": "kg"})";
    for (int i = 0; i < extraEntries; ++i) {
        entries += R"(, {"kind": "narrative", "text": "Seen in clinic; reviewed medication )" +
                   std::to_string(i) + R"( and agreed a plan with the patient."})";
    }
    return R"({"patient": {"nhsNumber": ")" + kNhs +
           R"("}, "compositions": [{"title": "Consultation", "effectiveTime": "2024-01-05",
           "entries": [)" +
           entries + R"(]}], "attachments": )" + attachments + "}";
}

struct TwoPractices {
    explicit TwoPractices(std::uint64_t threshold, bool autoAck = true)
        : oldPractice(kOld, clock, directory, 1, threshold),
          newPractice(kNew, clock, directory, 2, threshold, autoAck), hub{clock, {}, {}, {}, 0} {
        hub.practices[kOld] = &oldPractice;
        hub.practices[kNew] = &newPractice;
    }
    std::filesystem::path patientFolder() const { return oldPractice.settings.recordSource / kNhs; }

    gp::test::ManualClock clock;
    FakeDirectory directory;
    Practice oldPractice;
    Practice newPractice;
    Hub hub;
};

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("gp2gp transfer: inline, external and fragmented documents arrive byte-identical" *
              doctest::test_suite("store-contract")) {
        TwoPractices t(40'000);
        const std::string small = "a short note\n";
        const std::string letter = randomBytes(30'000, 1); // too big to ride inline: external
        const std::string scan = randomBytes(100'000, 2);  // over the threshold: 3 fragments
        writeFile(t.patientFolder() / "note.txt", small);
        writeFile(t.patientFolder() / "letter.pdf", letter);
        writeFile(t.patientFolder() / "scan.tif", scan);
        writeFile(t.patientFolder() / "record.json",
                  recordJson(R"([{"file": "note.txt", "contentType": "text/plain"},
                             {"file": "letter.pdf", "contentType": "application/pdf"},
                             {"file": "scan.tif", "contentType": "image/tiff"},
                             {"file": "note.txt", "contentType": "text/plain", "title": "Again"}])"));

        auto requested = t.newPractice.service->requestRecord(kNew, kNhs, kOld, "test");
        REQUIRE(requested.ok());
        t.hub.settle();

        const Conversation received = t.newPractice.only();
        CHECK(received.conversationId == *requested);
        CHECK(received.role == "requester");
        CHECK(received.state == "closed");
        CHECK(received.partsExpected == 4);
        CHECK(received.partsDone == 4);
        CHECK(received.bytesDone ==
              static_cast<std::int64_t>(2 * small.size() + letter.size() + scan.size()));
        const Conversation sent = t.oldPractice.only();
        CHECK(sent.conversationId == *requested);
        CHECK(sent.role == "sender");
        CHECK(sent.state == "closed");
        CHECK(sent.partsDone == 4);

        const auto folder = t.newPractice.settings.importDir / *requested;
        CHECK(gp::agent::readWholeFile(folder / "note.txt") == small);
        CHECK(gp::agent::readWholeFile(folder / "note-2.txt") == small);
        CHECK(gp::agent::readWholeFile(folder / "letter.pdf") == letter);
        CHECK(gp::agent::readWholeFile(folder / "scan.tif") == scan);
        const auto extract = gp::agent::readWholeFile(folder / "ehr-extract.xml");
        CHECK(extract.find("EhrExtract") != std::string::npos);
        CHECK(std::filesystem::exists(folder / "manifest.json"));
        // The received copies are gone once the record is imported and the transfer closed.
        CHECK_FALSE(std::filesystem::exists(t.newPractice.dir.path() / "gp2gp" / *requested));

        // Request, extract, Continue, 1 attachment + 1 index + 3 fragments, 5 COPC acks, the
        // sender's ack of the request, the final ack.
        std::map<std::string, int> counts;
        for (const auto& interaction : t.hub.delivered) {
            ++counts[interaction];
        }
        CHECK(counts[std::string(wire::kEhrRequest)] == 1);
        CHECK(counts[std::string(wire::kEhrExtract)] == 1);
        CHECK(counts[std::string(wire::kCommon)] == 6);
        CHECK(counts[std::string(wire::kApplicationAck)] == 7);

        // Nothing more happens however often the services run again.
        CHECK(t.oldPractice.service->runOnce() == 0);
        CHECK(t.newPractice.service->runOnce() == 0);
    }

    TEST_CASE("gp2gp transfer: fragments arriving last first, before their index, are assembled" *
              doctest::test_suite("store-contract")) {
        TwoPractices t(40'000);
        t.hub.reverse = true;
        const std::string scan = randomBytes(250'000, 6); // 7 fragments
        const std::string letter = randomBytes(130'000, 7);
        writeFile(t.patientFolder() / "scan.tif", scan);
        writeFile(t.patientFolder() / "letter.pdf", letter);
        writeFile(t.patientFolder() / "record.json",
                  recordJson(R"([{"file": "scan.tif", "contentType": "image/tiff"},
                             {"file": "letter.pdf", "contentType": "application/pdf"}])"));
        auto requested = t.newPractice.service->requestRecord(kNew, kNhs, kOld, "test");
        REQUIRE(requested.ok());
        t.hub.settle();
        CHECK(t.newPractice.only().state == "closed");
        CHECK(t.oldPractice.only().state == "closed");
        const auto folder = t.newPractice.settings.importDir / *requested;
        CHECK(gp::agent::readWholeFile(folder / "scan.tif") == scan);
        CHECK(gp::agent::readWholeFile(folder / "letter.pdf") == letter);
        for (const auto& part : t.newPractice.store->partsOf(*requested)) {
            CHECK(part.state == "received");
        }
    }

    TEST_CASE("gp2gp transfer: a large extract travels compressed with every document external" *
              doctest::test_suite("store-contract")) {
        TwoPractices t(2'000);
        const std::string letter = randomBytes(1'500, 3);
        const std::string scan = randomBytes(5'000, 4);
        writeFile(t.patientFolder() / "letter.pdf", letter);
        writeFile(t.patientFolder() / "scan.tif", scan);
        writeFile(t.patientFolder() / "record.json",
                  recordJson(R"([{"file": "letter.pdf", "contentType": "application/pdf"},
                             {"file": "scan.tif", "contentType": "image/tiff"}])",
                             40));
        auto requested = t.newPractice.service->requestRecord(kNew, kNhs, kOld, "test");
        REQUIRE(requested.ok());
        t.hub.settle();
        CHECK(t.newPractice.only().state == "closed");
        CHECK(t.oldPractice.only().state == "closed");
        const auto folder = t.newPractice.settings.importDir / *requested;
        CHECK(gp::agent::readWholeFile(folder / "letter.pdf") == letter);
        CHECK(gp::agent::readWholeFile(folder / "scan.tif") == scan);
        const auto extract = gp::agent::readWholeFile(folder / "ehr-extract.xml");
        CHECK(extract.size() > 2'000); // the whole extract, not the skeleton
        CHECK(extract.find("agreed a plan with the patient") != std::string::npos);
    }

    TEST_CASE("gp2gp transfer: a patient the old practice does not hold is refused with 06" *
              doctest::test_suite("store-contract")) {
        TwoPractices t(40'000);
        auto requested = t.newPractice.service->requestRecord(kNew, kNhs, kOld, "test");
        REQUIRE(requested.ok());
        t.hub.settle();
        const Conversation received = t.newPractice.only();
        CHECK(received.state == "failed");
        CHECK(received.errorCode == "06");
        const Conversation sent = t.oldPractice.only();
        CHECK(sent.state == "failed");
        CHECK(sent.errorCode == "06");
        CHECK_FALSE(std::filesystem::exists(t.newPractice.settings.importDir / *requested));
    }

    TEST_CASE("gp2gp transfer: a lost fragment ends in NACK 31 once the deadline passes" *
              doctest::test_suite("store-contract")) {
        TwoPractices t(2'000 * 20);
        writeFile(t.patientFolder() / "scan.tif", randomBytes(100'000, 5));
        writeFile(t.patientFolder() / "record.json",
                  recordJson(R"([{"file": "scan.tif", "contentType": "image/tiff"}])"));
        t.hub.lose = [](const wire::InboundGp2gp& message) {
            return message.kind == wire::InboundGp2gp::Kind::Fragment && message.fragmentIndex == 1;
        };
        auto requested = t.newPractice.service->requestRecord(kNew, kNhs, kOld, "test");
        REQUIRE(requested.ok());
        t.hub.settle();
        Conversation waiting = t.newPractice.only();
        CHECK(waiting.state == "continue-sent");
        REQUIRE(waiting.deadline);
        CHECK(t.oldPractice.only().state == "awaiting-final-ack");

        t.clock.set(*waiting.deadline - Milliseconds(1));
        t.hub.settle();
        CHECK(t.newPractice.only().state == "continue-sent");

        t.clock.set(*waiting.deadline);
        t.hub.settle();
        const Conversation received = t.newPractice.only();
        CHECK(received.state == "failed");
        CHECK(received.errorCode == "31");
        const Conversation sent = t.oldPractice.only();
        CHECK(sent.state == "failed");
        CHECK(sent.errorCode == "31");
    }

    TEST_CASE("gp2gp transfer: without autoAck the record waits for the practice to accept it" *
              doctest::test_suite("store-contract")) {
        TwoPractices t(40'000, false);
        writeFile(t.patientFolder() / "record.json", recordJson("[]"));
        auto requested = t.newPractice.service->requestRecord(kNew, kNhs, kOld, "test");
        REQUIRE(requested.ok());
        t.hub.settle();
        CHECK(t.newPractice.only().state == "awaiting-ack");
        CHECK(t.oldPractice.only().state == "awaiting-final-ack");
        CHECK(std::filesystem::exists(t.newPractice.settings.importDir / *requested /
                                      "ehr-extract.xml"));

        auto wrong = t.newPractice.service->acknowledge(*requested, false, "6", "test");
        REQUIRE_FALSE(wrong.ok());
        CHECK(wrong.error().where == "reasonCode");
        auto unknown = t.newPractice.service->acknowledge("NOPE", true, "", "test");
        REQUIRE_FALSE(unknown.ok());
        CHECK(unknown.error().where == "conversationId");

        REQUIRE(t.newPractice.service->acknowledge(*requested, false, "11", "test").ok());
        t.hub.settle();
        CHECK(t.newPractice.only().state == "failed");
        CHECK(t.newPractice.only().errorCode == "11");
        CHECK(t.oldPractice.only().state == "failed");
        CHECK(t.oldPractice.only().errorCode == "11");
    }

    TEST_CASE("gp2gp transfer: the sender gives up with 99 when no final ack comes" *
              doctest::test_suite("store-contract")) {
        TwoPractices t(40'000, false);
        writeFile(t.patientFolder() / "record.json", recordJson("[]"));
        REQUIRE(t.newPractice.service->requestRecord(kNew, kNhs, kOld, "test").ok());
        t.hub.settle();
        const Conversation waiting = t.oldPractice.only();
        REQUIRE(waiting.state == "awaiting-final-ack");
        REQUIRE(waiting.deadline);
        t.clock.set(*waiting.deadline);
        t.hub.settle();
        CHECK(t.oldPractice.only().state == "failed");
        CHECK(t.oldPractice.only().errorCode == "99");
    }

    TEST_CASE("gp2gp request: bad input names the field and stores nothing" *
              doctest::test_suite("store-contract")) {
        TwoPractices t(40'000);
        auto badNhs = t.newPractice.service->requestRecord(kNew, "9449304131", kOld, "test");
        REQUIRE_FALSE(badNhs.ok());
        CHECK(badNhs.error().where == "nhsNumber");
        auto badOds = t.newPractice.service->requestRecord(kNew, kNhs, "a-1", "test");
        REQUIRE_FALSE(badOds.ok());
        CHECK(badOds.error().where == "fromOdsCode");
        t.directory.unknown.insert(kOld);
        auto noRoute = t.newPractice.service->requestRecord(kNew, kNhs, kOld, "test");
        REQUIRE_FALSE(noRoute.ok());
        CHECK(noRoute.error().where == "sds");
        CHECK(t.newPractice.store->listConversations("", 10).empty());
    }

    TEST_CASE("gp2gp transfer: a duplicate request and a duplicate Continue change nothing" *
              doctest::test_suite("store-contract")) {
        TwoPractices t(40'000);
        writeFile(t.patientFolder() / "letter.pdf", randomBytes(30'000, 6));
        writeFile(t.patientFolder() / "record.json",
                  recordJson(R"([{"file": "letter.pdf", "contentType": "application/pdf"}])"));
        // Deliver everything twice under new MessageIds, as a resending system might.
        std::vector<std::string> seen;
        auto requested = t.newPractice.service->requestRecord(kNew, kNhs, kOld, "test");
        REQUIRE(requested.ok());
        t.hub.settle();
        const auto outboxBefore = t.oldPractice.store->messagesOf(*requested).size();
        // Replay the request and the Continue to the old practice with fresh MessageIds.
        for (const auto& message : t.newPractice.store->messagesOf(*requested)) {
            if (message.interaction != wire::kEhrRequest && message.interaction != wire::kCommon) {
                continue;
            }
            gp::agent::InboundMessage inbound;
            inbound.messageId = "D" + message.messageId.substr(1);
            inbound.conversationId = *requested;
            inbound.service = std::string(wire::kService);
            inbound.interaction = message.interaction;
            inbound.bodyFile = t.oldPractice.dir.path() / "inbox" / (inbound.messageId + ".mime");
            inbound.receivedAt = t.clock.now();
            inbound.keepUntil = t.clock.now() + std::chrono::hours(1);
            // A body the service can parse: rebuild one from the same interaction.
            wire::Routing routing{kNew + "-9199121",
                                  kOld + "-9199121",
                                  "CPA",
                                  "200000000222",
                                  "200000000111",
                                  kNew,
                                  kOld};
            wire::Envelope envelope{inbound.messageId, *requested,
                                    std::chrono::floor<std::chrono::seconds>(t.clock.now())};
            gp::messaging::ebxml::Message built;
            if (message.interaction == wire::kCommon) {
                built =
                    wire::continueMessage(routing, envelope, t.oldPractice.only().extractMessageId);
            } else {
                wire::EhrRequest request{
                    inbound.messageId, envelope.timestamp, "RID", kNhs, kNew, kOld,
                    "200000000222",    "200000000111"};
                built = wire::ehrRequestMessage(routing, envelope, request);
            }
            const auto http = gp::messaging::ebxml::buildMessage(built);
            inbound.contentType = http.contentType;
            writeFile(inbound.bodyFile, http.body);
            REQUIRE(t.oldPractice.store
                        ->admitInbound(inbound, gp::agent::AuditEvent{"inbound", "received",
                                                                      inbound.messageId, ""})
                        .ok());
            seen.push_back(inbound.interaction);
        }
        REQUIRE(seen.size() == 2);
        CHECK(t.oldPractice.service->runOnce() == 2); // both marked processed, nothing else
        CHECK(t.oldPractice.store->messagesOf(*requested).size() == outboxBefore);
        CHECK(t.oldPractice.only().state == "closed");
        const auto history = t.oldPractice.store->auditForMessage(*requested);
        int duplicates = 0;
        for (const auto& row : history) {
            duplicates +=
                row.event == "gp2gp-duplicate-request" || row.event == "gp2gp-duplicate-continue";
        }
        CHECK(duplicates == 2);
    }

} // TEST_SUITE
