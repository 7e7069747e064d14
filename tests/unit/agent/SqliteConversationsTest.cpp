#include "StoreTestSupport.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <vector>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;

namespace {

struct ConversationFixture : test::OpenStore {
    Conversation conversation(const std::string& id, const std::string& state = "extract-sent") {
        Conversation c;
        c.conversationId = id;
        c.role = "sender";
        c.state = state;
        c.nhsNumber = "9691234567";
        c.localOds = "A83008";
        c.remoteOds = "B86041";
        c.requestId = "REQ-" + id;
        c.requestMessageId = "RM-" + id;
        c.extractMessageId = "EM-" + id;
        c.deadline = clock.now() + 8 * 24h;
        c.partsExpected = 3;
        c.partsDone = 1;
        c.bytesExpected = 9'000'000;
        c.bytesDone = 4'500'000;
        c.createdAt = clock.now();
        c.data = R"({"asid":"200000000359"})";
        return c;
    }

    static ConversationPart part(const std::string& conversationId, const std::string& partId,
                                 const std::string& kind, const std::string& parent = "",
                                 int sequence = 0) {
        ConversationPart p;
        p.conversationId = conversationId;
        p.partId = partId;
        p.kind = kind;
        p.parentPartId = parent;
        p.sequence = sequence;
        p.filename = "scan.pdf";
        p.contentType = "application/pdf";
        p.expectedBytes = 1234;
        p.state = "expected";
        p.file = "/var/lib/gp-agent/parts/" + partId;
        p.description = R"(Filename="scan.pdf" ContentType=application/pdf)";
        return p;
    }

    OutboundMessage outbound(const std::string& messageId, const std::string& conversationId) {
        OutboundMessage message = test::makeMessage(messageId, clock.now() - 1min);
        message.conversationId = conversationId;
        message.interaction = "COPC_IN000001UK01";
        message.service = "urn:nhs:names:services:gp2gp";
        return message;
    }

    void admitInbound(const std::string& messageId) {
        InboundMessage message;
        message.messageId = messageId;
        message.bodyFile = dir.file(messageId + ".msg");
        message.receivedAt = clock.now();
        message.keepUntil = clock.now() + 4h;
        message.ackBody = "<ack/>";
        REQUIRE(
            store->admitInbound(message, AuditEvent{"inbound", "received", messageId, ""}).ok());
    }

    std::string auditCount() { return rawScalar("SELECT COUNT(*) FROM audit"); }
};

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("a workflow step stores the transfer, its parts and messages in one go" *
              doctest::test_suite("store-contract")) {
        ConversationFixture f;
        f.admitInbound("IN-1");
        WorkflowStep step;
        step.conversation = f.conversation("CONV-1");
        step.parts = {ConversationFixture::part("CONV-1", "FRAG-2", "fragment", "IDX", 2),
                      ConversationFixture::part("CONV-1", "DOC-1", "external"),
                      ConversationFixture::part("CONV-1", "FRAG-1", "fragment", "IDX", 1),
                      ConversationFixture::part("CONV-1", "IDX", "fragment-index")};
        OutboundMessage extract = f.outbound("OUT-1", "CONV-1");
        extract.bodyFile = f.dir.file("OUT-1.body");
        extract.body.clear();
        extract.retryInterval = 60s;
        step.outbound = {extract, f.outbound("OUT-2", "CONV-1")};
        step.inboundProcessed = {"IN-1"};
        step.audit = {AuditEvent{"gp2gp", "request-accepted", "IN-1", "conversation CONV-1"}};
        REQUIRE(f.store->applyStep(step).ok());

        const auto stored = f.store->findConversation("CONV-1");
        REQUIRE(stored.has_value());
        const Conversation& c = *stored;
        CHECK(c.role == "sender");
        CHECK(c.state == "extract-sent");
        CHECK(c.nhsNumber == "9691234567");
        CHECK(c.localOds == "A83008");
        CHECK(c.remoteOds == "B86041");
        CHECK(c.requestId == "REQ-CONV-1");
        CHECK(c.requestMessageId == "RM-CONV-1");
        CHECK(c.extractMessageId == "EM-CONV-1");
        CHECK(c.deadline == f.clock.now() + 8 * 24h);
        CHECK(c.partsExpected == 3);
        CHECK(c.partsDone == 1);
        CHECK(c.bytesExpected == 9'000'000);
        CHECK(c.bytesDone == 4'500'000);
        CHECK(c.createdAt == f.clock.now());
        CHECK(c.updatedAt == f.clock.now());
        CHECK(c.data == R"({"asid":"200000000359"})");

        std::vector<std::string> order;
        for (const ConversationPart& p : f.store->partsOf("CONV-1")) {
            order.push_back(p.partId);
        }
        CHECK(order == std::vector<std::string>{"DOC-1", "FRAG-1", "FRAG-2", "IDX"});
        const ConversationPart first = f.store->partsOf("CONV-1").front();
        CHECK(first.kind == "external");
        CHECK(first.expectedBytes == 1234);
        CHECK(first.file == "/var/lib/gp-agent/parts/DOC-1");
        CHECK(first.description == R"(Filename="scan.pdf" ContentType=application/pdf)");

        const auto messages = f.store->messagesOf("CONV-1");
        REQUIRE(messages.size() == 2);
        CHECK(messages[0].messageId == "OUT-1");
        CHECK(test::stateName(messages[0].state) == "queued");
        CHECK(messages[0].nextAttemptAt == f.clock.now());
        CHECK(f.store->findInbound("IN-1")->state == InboundState::Processed);

        const auto claimed = f.store->claimDue("worker-1", 30s, 10);
        REQUIRE(claimed.ok());
        REQUIRE(claimed->size() == 2);
        const bool outOneFirst = claimed->at(0).record.messageId == "OUT-1";
        const ClaimedMessage& fromFile = claimed->at(outOneFirst ? 0 : 1);
        const ClaimedMessage& inRow = claimed->at(outOneFirst ? 1 : 0);
        CHECK(fromFile.record.messageId == "OUT-1");
        CHECK(fromFile.bodyFile == f.dir.file("OUT-1.body"));
        CHECK(fromFile.body.empty());
        CHECK(fromFile.retryInterval == Milliseconds(60000));
        CHECK(inRow.record.messageId == "OUT-2");
        CHECK(inRow.bodyFile.empty());
        CHECK_FALSE(inRow.retryInterval.has_value());

        const auto audit = f.store->auditForMessage("OUT-1");
        REQUIRE(audit.size() == 2);
        CHECK(audit[0].actor == "gp2gp");
        CHECK(audit[0].event == "queued");
        CHECK(audit[0].detail ==
              "interaction COPC_IN000001UK01, conversation CONV-1, body in a file");
        CHECK(f.store->auditForMessage("IN-1").back().event == "request-accepted");
        CHECK(f.store->verifyAudit().intact);
    }

    TEST_CASE("a step that cannot queue one message changes nothing at all" *
              doctest::test_suite("store-contract")) {
        ConversationFixture f;
        f.admitInbound("IN-1");
        REQUIRE(f.store->enqueue(f.outbound("OUT-DUP", "OTHER"), test::apiEvent("OUT-DUP")).ok());
        const std::string auditBefore = f.auditCount();

        WorkflowStep step;
        step.conversation = f.conversation("CONV-1");
        step.parts = {ConversationFixture::part("CONV-1", "DOC-1", "external")};
        step.outbound = {f.outbound("OUT-NEW", "CONV-1"), f.outbound("OUT-DUP", "CONV-1")};
        step.inboundProcessed = {"IN-1"};
        step.audit = {AuditEvent{"gp2gp", "extract-sent", "", "conversation CONV-1"}};
        const Status applied = f.store->applyStep(step);
        REQUIRE_FALSE(applied.ok());
        CHECK(applied.error().where == "messageId");
        CHECK(applied.error().message == "message OUT-DUP already exists");

        CHECK_FALSE(f.store->findConversation("CONV-1").has_value());
        CHECK(f.store->partsOf("CONV-1").empty());
        CHECK_FALSE(f.store->findMessage("OUT-NEW").has_value());
        CHECK(f.store->findMessage("OUT-DUP")->conversationId == "OTHER");
        CHECK(f.store->findInbound("IN-1")->state == InboundState::Received);
        CHECK(f.auditCount() == auditBefore);
    }

    TEST_CASE("a step naming an unknown inbound message is refused whole" *
              doctest::test_suite("store-contract")) {
        ConversationFixture f;
        WorkflowStep step;
        step.conversation = f.conversation("CONV-1");
        step.inboundProcessed = {"NOT-RECEIVED"};
        const Status applied = f.store->applyStep(step);
        REQUIRE_FALSE(applied.ok());
        CHECK(applied.error().where == "inboundProcessed");
        CHECK(applied.error().message == "no inbound message NOT-RECEIVED");
        CHECK_FALSE(f.store->findConversation("CONV-1").has_value());
    }

    TEST_CASE("a part of an unknown conversation or without ids is refused" *
              doctest::test_suite("store-contract")) {
        ConversationFixture f;
        WorkflowStep orphan;
        orphan.parts = {ConversationFixture::part("NO-SUCH", "DOC-1", "external")};
        const Status refused = f.store->applyStep(orphan);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().where == "store");
        // The engine's own words: SQLite "FOREIGN KEY constraint failed", PostgreSQL "violates
        // foreign key constraint".
        std::string words = refused.error().message;
        std::transform(words.begin(), words.end(), words.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        CHECK(words.find("foreign key") != std::string::npos);

        WorkflowStep unnamed;
        unnamed.parts = {ConversationFixture::part("CONV-1", "", "external")};
        const Status missing = f.store->applyStep(unnamed);
        REQUIRE_FALSE(missing.ok());
        CHECK(missing.error().where == "parts[0]");
    }

    TEST_CASE("updating a transfer keeps its creation time and replaces the rest" *
              doctest::test_suite("store-contract")) {
        ConversationFixture f;
        const TimePoint created = f.clock.now();
        REQUIRE(f.store->applyStep(WorkflowStep{f.conversation("CONV-1"), {}, {}, {}, {}}).ok());
        f.clock.advance(10min);
        Conversation later = f.conversation("CONV-1", "failed");
        later.createdAt = f.clock.now(); // ignored on update
        later.deadline.reset();
        later.errorCode = "25";
        later.errorText = "overall transfer timeout";
        REQUIRE(
            f.store
                ->applyStep(WorkflowStep{
                    later, {ConversationFixture::part("CONV-1", "DOC-1", "external")}, {}, {}, {}})
                .ok());
        ConversationPart received = ConversationFixture::part("CONV-1", "DOC-1", "external");
        received.state = "received";
        REQUIRE(f.store->applyStep(WorkflowStep{{}, {received}, {}, {}, {}}).ok());

        const auto stored = f.store->findConversation("CONV-1");
        REQUIRE(stored.has_value());
        CHECK(stored->state == "failed");
        CHECK(stored->createdAt == created);
        CHECK(stored->updatedAt == f.clock.now());
        CHECK_FALSE(stored->deadline.has_value());
        CHECK(stored->errorCode == "25");
        CHECK(stored->errorText == "overall transfer timeout");
        REQUIRE(f.store->partsOf("CONV-1").size() == 1);
        CHECK(f.store->partsOf("CONV-1").front().state == "received");
    }

    TEST_CASE("transfers are listed newest first and found by deadline" *
              doctest::test_suite("store-contract")) {
        ConversationFixture f;
        const TimePoint start = f.clock.now();
        for (const char* id : {"CONV-A", "CONV-B", "CONV-C"}) {
            Conversation c = f.conversation(id, id == std::string("CONV-B") ? "done" : "waiting");
            c.deadline = f.clock.now() + 1h;
            if (id == std::string("CONV-B")) {
                c.deadline.reset();
            }
            REQUIRE(f.store->applyStep(WorkflowStep{c, {}, {}, {}, {}}).ok());
            f.clock.advance(1min);
        }
        const auto ids = [](const std::vector<Conversation>& list) {
            std::vector<std::string> out;
            for (const Conversation& c : list) {
                out.push_back(c.conversationId);
            }
            return out;
        };
        using Ids = std::vector<std::string>;
        CHECK(ids(f.store->listConversations("", 10)) == Ids{"CONV-C", "CONV-B", "CONV-A"});
        CHECK(ids(f.store->listConversations("", 2)) == Ids{"CONV-C", "CONV-B"});
        CHECK(ids(f.store->listConversations("waiting", 10)) == Ids{"CONV-C", "CONV-A"});
        CHECK(f.store->listConversations("unknown", 10).empty());

        CHECK(f.store->nextConversationDeadline() == start + 1h);
        CHECK(f.store->conversationsDue(start + 1h - 1ms).empty());
        CHECK(ids(f.store->conversationsDue(start + 1h)) == Ids{"CONV-A"});
        CHECK(ids(f.store->conversationsDue(start + 2h)) == Ids{"CONV-A", "CONV-C"});
        CHECK_FALSE(f.store->findConversation("CONV-Z").has_value());
    }

    TEST_CASE("an empty store has no transfers and no deadline" *
              doctest::test_suite("store-contract")) {
        ConversationFixture f;
        CHECK(f.store->listConversations("", 10).empty());
        CHECK_FALSE(f.store->nextConversationDeadline().has_value());
        CHECK(f.store->conversationsDue(f.clock.now()).empty());
        CHECK(f.store->messagesOf("CONV-1").empty());
        CHECK(f.store->applyStep(WorkflowStep{}).ok());
    }

    TEST_CASE("a second step for an inbound message already processed or failed is refused "
              "whole" *
              doctest::test_suite("store-contract")) {
        // Two workflows (two instances of a shared store) that read the same pending message:
        // only the first step to commit processes it.
        ConversationFixture f;
        f.admitInbound("IN-1");
        f.admitInbound("IN-2");
        WorkflowStep first;
        first.outbound = {f.outbound("OUT-1", "CONV-1")};
        first.inboundProcessed = {"IN-1"};
        REQUIRE(f.store->applyStep(first).ok());

        WorkflowStep second;
        second.conversation = f.conversation("CONV-2");
        second.outbound = {f.outbound("OUT-2", "CONV-2")};
        second.inboundProcessed = {"IN-2", "IN-1"};
        second.audit = {AuditEvent{"gp2gp", "request-accepted", "IN-1", "conversation CONV-2"}};
        const Status refused = f.store->applyStep(second);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().where == "inboundProcessed");
        CHECK(refused.error().message ==
              "inbound message IN-1 is processed already: it was handled by another step");
        CHECK_FALSE(f.store->findMessage("OUT-2").has_value());
        CHECK_FALSE(f.store->findConversation("CONV-2").has_value());
        CHECK(f.store->findInbound("IN-2")->state == InboundState::Received);
        CHECK(f.store->auditForMessage("IN-1").back().event == "received");

        REQUIRE(f.store->markInboundFailed("IN-2", "unreadable").ok());
        WorkflowStep late;
        late.inboundProcessed = {"IN-2"};
        const Status failedAlready = f.store->applyStep(late);
        REQUIRE_FALSE(failedAlready.ok());
        CHECK(failedAlready.error().message ==
              "inbound message IN-2 is failed already: it was handled by another step");
        CHECK(f.store->findInbound("IN-2")->state == InboundState::Failed);
    }

} // TEST_SUITE
