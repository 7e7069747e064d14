#include "../../../agent/src/inbound/InboundEndpoint.hpp"

#include "StoreTestSupport.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;
namespace ebxml = gp::messaging::ebxml;

namespace {

constexpr const char* kOurParty = "A83008-9199121";
constexpr const char* kOurOtherParty = "P83012-9199355"; // a second practice of the same agent
constexpr const char* kTheirParty = "B86041-822103";
// How Spine writes it: quoted parameters, a charset, start in angle brackets.
constexpr const char* kSpineContentType =
    "multipart/related; boundary=\"--=_MIME-Boundary\"; charset=\"UTF-8\"; type=\"text/xml\";"
    " start=\"<ebXMLHeader@spine.nhs.uk>\"";

struct Reply {
    int status = 0;
    std::string contentType;
    std::string body;
};

struct EndpointFixture {
    test::TempDir dir;
    test::ManualClock clock;
    test::SeededRandom endpointRandom{7};
    test::SeededRandom messageRandom{99};
    std::unique_ptr<Store> store;
    std::atomic<int> admittedCalls{0};
    std::unique_ptr<InboundEndpoint> endpoint;

    explicit EndpointFixture(std::size_t maxBodyBytes = 1024 * 1024, bool readOnlyStore = false) {
        const auto file = dir.file("agent.db");
        store = openSqliteStore(file, clock);
        if (readOnlyStore) {
            store = openSqliteStoreReadOnly(file, clock);
        }
        InboundEndpoint::Settings settings;
        settings.bind = "127.0.0.1";
        settings.port = 0;
        settings.maxBodyBytes = maxBodyBytes;
        settings.inboxDir = inboxDir();
        settings.localPartyKeys = {kOurParty, kOurOtherParty};
        endpoint = std::make_unique<InboundEndpoint>(settings, *store, clock, endpointRandom,
                                                     [this] { ++admittedCalls; });
        endpoint->start();
    }

    ~EndpointFixture() { endpoint->stop(); }

    std::filesystem::path inboxDir() const { return dir.file("inbox"); }

    std::vector<std::string> inboxFiles() const {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(inboxDir())) {
            names.push_back(entry.path().filename().string());
        }
        return names;
    }

    std::string inboxRows() {
        return test::RawDatabase(dir.file("agent.db")).scalar("SELECT COUNT(*) FROM inbox");
    }

    ebxml::Message ehrMessage(const std::string& messageId,
                              const std::string& toParty = kOurParty) {
        ebxml::Message message;
        message.header.fromPartyId = kTheirParty;
        message.header.toPartyId = toParty;
        message.header.cpaId = "S2036482A2160104";
        message.header.conversationId = messaging::ids::newUuid(messageRandom);
        message.header.service = "urn:nhs:names:services:gp2gp";
        message.header.action = "RCMR_IN010000UK05";
        message.header.messageId = messageId;
        message.header.timestamp = std::chrono::floor<std::chrono::seconds>(clock.now());
        message.header.duplicateElimination = true;
        message.header.ackRequested = ebxml::AckRequested::NextMsh;
        message.payload = "<RCMR_IN010000UK05 xmlns=\"urn:hl7-org:v3\"><id root=\"" + messageId +
                          "\"/></RCMR_IN010000UK05>";
        return message;
    }

    ebxml::HttpBody ehrRequest(const std::string& messageId,
                               const std::string& toParty = kOurParty) {
        return ebxml::buildMessage(ehrMessage(messageId, toParty));
    }

    std::string newMessageId() { return messaging::ids::newUuid(messageRandom); }

    Reply send(const std::string& method, const std::string& path, const std::string& contentType,
               const std::string& body, bool chunked = false) {
        Poco::Net::HTTPClientSession session("127.0.0.1",
                                             static_cast<Poco::UInt16>(endpoint->port()));
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        if (!contentType.empty()) {
            request.setContentType(contentType);
        }
        if (chunked) {
            request.setChunkedTransferEncoding(true);
        } else if (method == "POST") {
            request.setContentLength(static_cast<std::streamsize>(body.size()));
        }
        std::ostream& out = session.sendRequest(request);
        out << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        Reply reply;
        reply.status = response.getStatus();
        reply.contentType = response.getContentType();
        Poco::StreamCopier::copyToString(in, reply.body);
        return reply;
    }

    Reply post(const std::string& contentType, const std::string& body) {
        return send("POST", "/inbound", contentType, body);
    }
};

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("an inbound message is stored and acknowledged in either Content-Type form") {
        EndpointFixture f;
        int admitted = 0;
        for (const bool spineForm : {false, true}) {
            CAPTURE(spineForm);
            const std::string messageId = f.newMessageId();
            const ebxml::HttpBody body = f.ehrRequest(messageId);
            const std::string contentType = spineForm ? kSpineContentType : body.contentType;
            const Reply reply = f.post(contentType, body.body);
            CHECK(reply.status == 202);
            CHECK(reply.contentType == "text/xml");
            ++admitted;
            CHECK(f.admittedCalls.load() == admitted);

            const auto ack = ebxml::parseEnvelope(reply.body);
            REQUIRE(ack.ok());
            CHECK(ack->action == "Acknowledgment");
            CHECK(ack->refToMessageId == messageId);
            CHECK(ack->fromPartyId == kOurParty);
            CHECK(ack->toPartyId == kTheirParty);
            CHECK(messaging::ids::isUpperCaseUuid(ack->messageId));
            CHECK(ack->messageId != messageId);

            const auto stored = f.store->findInbound(messageId);
            REQUIRE(stored.has_value());
            const InboundMessage& message = stored->message;
            CHECK(stored->state == InboundState::Received);
            CHECK(message.interaction == "RCMR_IN010000UK05");
            CHECK(message.service == "urn:nhs:names:services:gp2gp");
            CHECK(message.fromPartyId == kTheirParty);
            CHECK(message.contentType == contentType);
            CHECK(message.receivedAt == f.clock.now());
            CHECK(message.keepUntil == f.clock.now() + 4h + 10min);
            CHECK(message.ackBody == reply.body);
            // The body is on disk under its final name, whole, and the row names it.
            CHECK(message.bodyFile == f.inboxDir() / (messageId + ".msg"));
            CHECK(message.bodyBytes == static_cast<std::int64_t>(body.body.size()));
            REQUIRE(std::filesystem::exists(message.bodyFile));
            CHECK(std::filesystem::file_size(message.bodyFile) == body.body.size());

            const auto audit = f.store->auditForMessage(messageId);
            REQUIRE(audit.size() == 1);
            CHECK(audit[0].actor == "inbound");
            CHECK(audit[0].event == "received");
            CHECK(audit[0].detail == "interaction RCMR_IN010000UK05 from party " +
                                         std::string(kTheirParty) + ", " +
                                         std::to_string(body.body.size()) + " bytes");
        }
        CHECK(f.inboxFiles().size() == 2);
    }

    TEST_CASE("a duplicate gets the original acknowledgement and is not processed again") {
        EndpointFixture f;
        const std::string messageId = f.newMessageId();
        const ebxml::HttpBody body = f.ehrRequest(messageId);
        const Reply first = f.post(body.contentType, body.body);
        REQUIRE(first.status == 202);
        f.clock.advance(1h);
        const Reply second = f.send("POST", "/", body.contentType, body.body);

        CHECK(second.status == first.status);
        CHECK(second.contentType == first.contentType);
        CHECK(second.body == first.body);
        CHECK(f.admittedCalls.load() == 1);
        CHECK(f.inboxRows() == "1");
        CHECK(f.inboxFiles() == std::vector<std::string>{messageId + ".msg"});
        const auto audit = f.store->auditForMessage(messageId);
        REQUIRE(audit.size() == 2);
        CHECK(audit[1].event == "duplicate-received");
    }

    TEST_CASE("a message seen again after its persist duration is admitted anew") {
        EndpointFixture f;
        const std::string messageId = f.newMessageId();
        const ebxml::HttpBody body = f.ehrRequest(messageId);
        const Reply first = f.post(body.contentType, body.body);
        REQUIRE(first.status == 202);
        f.clock.advance(4h + 10min);
        const Reply second = f.post(body.contentType, body.body);
        CHECK(second.status == 202);
        CHECK(second.body != first.body); // a new acknowledgement
        CHECK(f.admittedCalls.load() == 2);
        CHECK(f.inboxRows() == "1");

        const auto stored = f.store->findInbound(messageId);
        REQUIRE(stored.has_value());
        CHECK(stored->message.ackBody == second.body);
        // The old file could not be overwritten while its row lived; the new copy took another
        // name and the old one went with the old row.
        CHECK(f.inboxFiles() == std::vector<std::string>{stored->message.bodyFile.filename()});
        CHECK(stored->message.bodyFile != f.inboxDir() / (messageId + ".msg"));
    }

    TEST_CASE("a body of many megabytes is streamed to its file whole") {
        EndpointFixture f(8 * 1024 * 1024);
        const std::string messageId = f.newMessageId();
        ebxml::Message message = f.ehrMessage(messageId);
        std::string bytes(3 * 1024 * 1024 + 17, 'x');
        for (std::size_t i = 0; i < bytes.size(); i += 4096) {
            bytes[i] = static_cast<char>('a' + (i / 4096) % 26);
        }
        message.attachments.push_back(
            ebxml::Attachment{"DOC1@local", "application/octet-stream", "scan", bytes, false});
        const ebxml::HttpBody body = ebxml::buildMessage(message);
        const Reply reply = f.post(body.contentType, body.body);
        CHECK(reply.status == 202);
        const auto stored = f.store->findInbound(messageId);
        REQUIRE(stored.has_value());
        CHECK(std::filesystem::file_size(stored->message.bodyFile) == body.body.size());
        CHECK(readWholeFile(stored->message.bodyFile) == body.body);
    }

    TEST_CASE("a message for another party is refused with a MessageError and not stored") {
        EndpointFixture f;
        const std::string messageId = f.newMessageId();
        const ebxml::HttpBody body = f.ehrRequest(messageId, "X99999-1234567");
        const Reply reply = f.post(body.contentType, body.body);
        CHECK(reply.status == 500);
        CHECK(reply.contentType == "text/xml");
        CHECK(reply.body.find("MessageError") != std::string::npos);
        CHECK(reply.body.find("ValueNotRecognized") != std::string::npos);
        CHECK(reply.body.find("Unknown To party") != std::string::npos);
        const auto error = ebxml::parseEnvelope(reply.body);
        REQUIRE(error.ok());
        CHECK(error->refToMessageId == messageId);
        CHECK(error->toPartyId == kTheirParty);
        CHECK(error->fromPartyId == kOurParty); // the default practice answers for the agent
        CHECK(f.inboxRows() == "0");
        CHECK(f.inboxFiles().empty());
        CHECK(f.admittedCalls.load() == 0);
    }

    TEST_CASE("a message for any practice of the agent is accepted and acknowledged as it") {
        EndpointFixture f;
        for (const char* party : {kOurOtherParty, kOurParty}) {
            CAPTURE(party);
            const std::string messageId = f.newMessageId();
            const ebxml::HttpBody body = f.ehrRequest(messageId, party);
            const Reply reply = f.post(body.contentType, body.body);
            CHECK(reply.status == 202);
            const auto ack = ebxml::parseEnvelope(reply.body);
            REQUIRE(ack.ok());
            CHECK(ack->refToMessageId == messageId);
            CHECK(ack->fromPartyId == party);
            CHECK(f.store->findInbound(messageId).has_value());
        }
        CHECK(f.admittedCalls.load() == 2);
    }

    TEST_CASE("a malformed message is refused with a MessageError naming the problem") {
        EndpointFixture f;
        const ebxml::HttpBody body = f.ehrRequest(f.newMessageId());
        SUBCASE("not multipart at all") {
            const Reply reply = f.post(body.contentType, "this is not a MIME body");
            CHECK(reply.status == 500);
            CHECK(reply.body.find("MessageError") != std::string::npos);
        }
        SUBCASE("no Content-Type") {
            const Reply reply = f.post("", body.body);
            CHECK(reply.status == 500);
            CHECK(reply.body.find("MimeProblem") != std::string::npos);
        }
        SUBCASE("a MessageId that could name a file elsewhere") {
            const ebxml::HttpBody other = f.ehrRequest("../../etc/passwd-0000-0000-0000000000");
            const Reply reply = f.post(other.contentType, other.body);
            CHECK(reply.status == 500);
            CHECK(reply.body.find("eb:MessageData/eb:MessageId: is not a UUID") !=
                  std::string::npos);
        }
        CHECK(f.inboxRows() == "0");
        CHECK(f.inboxFiles().empty());
        CHECK(f.admittedCalls.load() == 0);
    }

    TEST_CASE("a body over the limit is refused with 413 and leaves no file") {
        EndpointFixture f(6000);
        const ebxml::HttpBody body = f.ehrRequest(f.newMessageId());
        REQUIRE(body.body.size() < 6000);
        const std::string large = body.body + std::string(10000, ' ');
        SUBCASE("declared by Content-Length") {
            CHECK(f.post(body.contentType, large).status == 413);
        }
        SUBCASE("found while streaming a chunked body") {
            CHECK(f.send("POST", "/inbound", body.contentType, large, true).status == 413);
        }
        CHECK(f.inboxRows() == "0");
        CHECK(f.inboxFiles().empty());
        CHECK(f.admittedCalls.load() == 0);
        // Under the limit the same endpoint still takes messages.
        CHECK(f.post(body.contentType, body.body).status == 202);
    }

    TEST_CASE("a store that cannot write gets a retriable SOAP fault and leaves no file") {
        EndpointFixture f(1024 * 1024, true);
        const ebxml::HttpBody body = f.ehrRequest(f.newMessageId());
        const Reply reply = f.post(body.contentType, body.body);
        // The local API's status for work not stored: 503 (507 only when the disk is full).
        CHECK(reply.status == 503);
        CHECK(reply.body.find("Fault") != std::string::npos);
        CHECK(reply.body.find(">200<") != std::string::npos);
        CHECK(f.inboxFiles().empty());
        CHECK(f.admittedCalls.load() == 0);
    }

    TEST_CASE("the inbound endpoint answers health checks and nothing else") {
        EndpointFixture f;
        const Reply health = f.send("GET", "/healthz", "", "");
        CHECK(health.status == 200);
        CHECK(health.body == R"({"status":"ok"})");
        CHECK(f.send("GET", "/inbound", "", "").status == 405);
        CHECK(f.send("POST", "/elsewhere", "text/plain", "x").status == 404);
    }

} // TEST_SUITE
