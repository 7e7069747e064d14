#include "StoreTestSupport.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;

namespace {

struct InboxFixture : test::OpenStore {
    /// A received message whose body file exists, kept for `keepFor`.
    InboundMessage received(const std::string& messageId, const std::string& fileName,
                            Milliseconds keepFor = 4h) {
        InboundMessage message;
        message.messageId = messageId;
        message.conversationId = "CONV-1";
        message.service = "urn:nhs:names:services:gp2gp";
        message.interaction = "RCMR_IN010000UK05";
        message.fromPartyId = "B86041-822103";
        message.refToMessageId = "";
        message.contentType = "multipart/related; boundary=\"--=_MIME-Boundary\"";
        message.bodyFile = dir.file(fileName);
        writeFileAtomically(message.bodyFile, "body " + fileName);
        message.bodyBytes = 5 + static_cast<std::int64_t>(fileName.size());
        message.receivedAt = clock.now();
        message.keepUntil = clock.now() + keepFor;
        message.ackStatus = 202;
        message.ackContentType = "text/xml";
        message.ackBody = "<ack for " + fileName + "/>";
        return message;
    }

    static AuditEvent event(const std::string& messageId) {
        return AuditEvent{"inbound", "received", messageId,
                          "interaction RCMR_IN010000UK05 from party B86041-822103, 9 bytes"};
    }

    std::vector<std::string> events(const std::string& messageId) {
        std::vector<std::string> names;
        for (const AuditRow& row : store->auditForMessage(messageId)) {
            names.push_back(row.actor + " " + row.event);
        }
        return names;
    }

    std::string inboxRows() { return rawScalar("SELECT COUNT(*) FROM inbox"); }
};

using Events = std::vector<std::string>;

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("an admitted inbound message is stored as received with its audit row" *
              doctest::test_suite("store-contract")) {
        InboxFixture f;
        const InboundMessage message = f.received("MSG-1", "MSG-1.msg");
        const auto admitted = f.store->admitInbound(message, InboxFixture::event("MSG-1"));
        REQUIRE(admitted.ok());
        CHECK_FALSE(admitted->duplicate);
        CHECK_FALSE(admitted->original.has_value());

        const auto found = f.store->findInbound("MSG-1");
        REQUIRE(found.has_value());
        CHECK(found->state == InboundState::Received);
        CHECK(found->message.conversationId == "CONV-1");
        CHECK(found->message.interaction == "RCMR_IN010000UK05");
        CHECK(found->message.fromPartyId == "B86041-822103");
        CHECK(found->message.bodyFile == message.bodyFile);
        CHECK(found->message.bodyBytes == message.bodyBytes);
        CHECK(found->message.receivedAt == message.receivedAt);
        CHECK(found->message.keepUntil == message.keepUntil);
        CHECK(found->message.ackStatus == 202);
        CHECK(found->message.ackBody == "<ack for MSG-1.msg/>");
        CHECK(f.events("MSG-1") == Events{"inbound received"});
        CHECK(f.store->auditForMessage("MSG-1").front().detail ==
              "interaction RCMR_IN010000UK05 from party B86041-822103, 9 bytes");

        const auto pending = f.store->pendingInbound(10);
        REQUIRE(pending.ok());
        REQUIRE(pending->size() == 1);
        CHECK(pending->front().message.messageId == "MSG-1");
        CHECK_FALSE(f.store->findInbound("MSG-2").has_value());
        CHECK(f.store->verifyAudit().intact);
    }

    TEST_CASE("a duplicate within its persist duration changes nothing and returns the original" *
              doctest::test_suite("store-contract")) {
        InboxFixture f;
        const InboundMessage first = f.received("MSG-1", "first.msg");
        REQUIRE(f.store->admitInbound(first, InboxFixture::event("MSG-1")).ok());
        f.clock.advance(4h - 1ms);

        const InboundMessage again = f.received("MSG-1", "again.msg");
        const auto admitted = f.store->admitInbound(again, InboxFixture::event("MSG-1"));
        REQUIRE(admitted.ok());
        CHECK(admitted->duplicate);
        REQUIRE(admitted->original.has_value());
        CHECK(admitted->original->message.ackBody == "<ack for first.msg/>");
        CHECK(admitted->original->message.bodyFile == first.bodyFile);

        CHECK(f.inboxRows() == "1");
        CHECK(f.store->findInbound("MSG-1")->message.receivedAt == first.receivedAt);
        CHECK(f.events("MSG-1") == Events{"inbound received", "inbound duplicate-received"});
        // The store does not touch the duplicate's file: the caller drops it.
        CHECK(std::filesystem::exists(first.bodyFile));
        CHECK(std::filesystem::exists(again.bodyFile));
        CHECK(f.store->verifyAudit().intact);
    }

    TEST_CASE("a message seen again after its persist duration replaces the old row" *
              doctest::test_suite("store-contract")) {
        InboxFixture f;
        const InboundMessage first = f.received("MSG-1", "first.msg");
        REQUIRE(f.store->admitInbound(first, InboxFixture::event("MSG-1")).ok());
        REQUIRE(f.store->applyStep(WorkflowStep{{}, {}, {}, {"MSG-1"}, {}}).ok());
        f.clock.advance(4h);

        const InboundMessage again = f.received("MSG-1", "again.msg");
        const auto admitted = f.store->admitInbound(again, InboxFixture::event("MSG-1"));
        REQUIRE(admitted.ok());
        CHECK_FALSE(admitted->duplicate);

        const auto found = f.store->findInbound("MSG-1");
        REQUIRE(found.has_value());
        CHECK(found->state == InboundState::Received);
        CHECK(found->message.bodyFile == again.bodyFile);
        CHECK(found->message.ackBody == "<ack for again.msg/>");
        CHECK(f.inboxRows() == "1");
        CHECK_FALSE(std::filesystem::exists(first.bodyFile)); // deleted after the commit
        CHECK(std::filesystem::exists(again.bodyFile));
        CHECK(f.events("MSG-1") == Events{"inbound received", "inbound received"});
    }

    TEST_CASE("a replacement that reuses the old file name keeps the file" *
              doctest::test_suite("store-contract")) {
        InboxFixture f;
        REQUIRE(
            f.store->admitInbound(f.received("MSG-1", "MSG-1.msg"), InboxFixture::event("MSG-1"))
                .ok());
        f.clock.advance(5h);
        const InboundMessage again = f.received("MSG-1", "MSG-1.msg");
        REQUIRE(f.store->admitInbound(again, InboxFixture::event("MSG-1")).ok());
        CHECK(std::filesystem::exists(again.bodyFile));
    }

    TEST_CASE("a message that cannot be processed is marked failed and kept" *
              doctest::test_suite("store-contract")) {
        InboxFixture f;
        REQUIRE(
            f.store->admitInbound(f.received("MSG-1", "a.msg"), InboxFixture::event("MSG-1")).ok());
        REQUIRE(f.store->markInboundFailed("MSG-1", "code 18: request not well-formed").ok());
        const auto found = f.store->findInbound("MSG-1");
        REQUIRE(found.has_value());
        CHECK(found->state == InboundState::Failed);
        CHECK(found->error == "code 18: request not well-formed");
        CHECK(f.store->pendingInbound(10)->empty());
        CHECK(f.events("MSG-1") == Events{"inbound received", "workflow inbound-failed"});

        const Status missing = f.store->markInboundFailed("NOPE", "x");
        REQUIRE_FALSE(missing.ok());
        CHECK(missing.error().where == "messageId");
        CHECK(missing.error().message == "no inbound message NOPE");
    }

    TEST_CASE("pending inbound messages come oldest first up to the limit" *
              doctest::test_suite("store-contract")) {
        InboxFixture f;
        for (const char* id : {"MSG-A", "MSG-B", "MSG-C"}) {
            REQUIRE(f.store
                        ->admitInbound(f.received(id, std::string(id) + ".msg"),
                                       InboxFixture::event(id))
                        .ok());
            f.clock.advance(1s);
        }
        REQUIRE(f.store->applyStep(WorkflowStep{{}, {}, {}, {"MSG-A"}, {}}).ok());
        const auto pending = f.store->pendingInbound(1);
        REQUIRE(pending.ok());
        REQUIRE(pending->size() == 1);
        CHECK(pending->front().message.messageId == "MSG-B");
        CHECK(f.store->findInbound("MSG-A")->state == InboundState::Processed);
    }

    TEST_CASE("purging forgets handled messages past their persist duration and their files" *
              doctest::test_suite("store-contract")) {
        InboxFixture f;
        const InboundMessage processed = f.received("MSG-P", "p.msg", 1h);
        const InboundMessage failed = f.received("MSG-F", "f.msg", 1h);
        const InboundMessage waiting = f.received("MSG-W", "w.msg", 1h);
        const InboundMessage fresh = f.received("MSG-N", "n.msg", 3h);
        for (const InboundMessage& message : {processed, failed, waiting, fresh}) {
            REQUIRE(f.store->admitInbound(message, InboxFixture::event(message.messageId)).ok());
        }
        REQUIRE(f.store->applyStep(WorkflowStep{{}, {}, {}, {"MSG-P", "MSG-N"}, {}}).ok());
        REQUIRE(f.store->markInboundFailed("MSG-F", "gave up").ok());

        f.clock.advance(1h - 1ms);
        CHECK(*f.store->purgeExpiredInbound() == 0);

        f.clock.advance(1ms);
        const auto purged = f.store->purgeExpiredInbound();
        REQUIRE(purged.ok());
        CHECK(*purged == 2);
        CHECK_FALSE(f.store->findInbound("MSG-P").has_value());
        CHECK_FALSE(f.store->findInbound("MSG-F").has_value());
        CHECK_FALSE(std::filesystem::exists(processed.bodyFile));
        CHECK_FALSE(std::filesystem::exists(failed.bodyFile));
        // Not yet processed: kept, or it would be lost. Within its duration: kept.
        CHECK(f.store->findInbound("MSG-W").has_value());
        CHECK(std::filesystem::exists(waiting.bodyFile));
        CHECK(f.store->findInbound("MSG-N").has_value());
        CHECK(std::filesystem::exists(fresh.bodyFile));

        const auto rows = f.store->auditAfter(0, 100);
        REQUIRE_FALSE(rows.empty());
        CHECK(rows.back().event == "inbox-purged");
        CHECK(rows.back().detail == "2 inbound messages past their persist duration");
        CHECK(f.store->verifyAudit().intact);

        // A message past its duration is new again once purged.
        const auto again =
            f.store->admitInbound(f.received("MSG-P", "p2.msg"), InboxFixture::event("MSG-P"));
        REQUIRE(again.ok());
        CHECK_FALSE(again->duplicate);
    }

    TEST_CASE("admitting needs a MessageId and a body file" *
              doctest::test_suite("store-contract")) {
        InboxFixture f;
        InboundMessage message = f.received("MSG-1", "a.msg");
        message.messageId.clear();
        const auto noId = f.store->admitInbound(message, InboxFixture::event(""));
        REQUIRE_FALSE(noId.ok());
        CHECK(noId.error().where == "messageId");
        message.messageId = "MSG-1";
        message.bodyFile.clear();
        const auto noFile = f.store->admitInbound(message, InboxFixture::event("MSG-1"));
        REQUIRE_FALSE(noFile.ok());
        CHECK(noFile.error().where == "bodyFile");
        CHECK(f.inboxRows() == "0");
    }

} // TEST_SUITE
