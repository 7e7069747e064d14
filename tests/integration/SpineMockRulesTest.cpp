// spine-mock's own EPS rules, exercised over HTTP with messages the agent would refuse to send.

#include "ProcessHarness.hpp"
#include "SpinePrescriptions.hpp"

#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/spine/SpineReply.hpp>

#include <doctest/doctest.h>

using namespace gp::test;
namespace messaging = gp::messaging;

namespace {

messaging::ebxml::HttpBody prescriptionMessage(const std::string& messageId,
                                               const std::string& prescriptionId) {
    return spinePrescriptionMessage({messageId, prescriptionId});
}

messaging::spine::SpineReply send(SpineMock& mock, const messaging::ebxml::HttpBody& http) {
    auto reply = mock.post("/reliablemessaging/reliablerequest", http.body,
                           {{"Content-Type", http.contentType}, {"SOAPAction", http.soapAction}});
    // The reply's own content type is not kept by the helper; both forms parse the same.
    auto parsed = messaging::spine::parseSpineReply(
        "multipart/related; boundary=\"--=_MIME-Boundary\"; type=\"text/xml\"; "
        "start=\"<ebXMLHeader@spine.nhs.uk>\"",
        reply.body);
    if (!parsed) {
        parsed = messaging::spine::parseSpineReply("text/xml", reply.body);
    }
    REQUIRE_MESSAGE(parsed.ok(), reply.body);
    return *parsed;
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("spine-mock answers a wrong prescription check character with 5009") {
        TempDir dir("gp-mock");
        SpineMock mock(dir.path() / "mock");
        mock.start();
        const std::string messageId = "C0B1C2D3-E4F5-4A6B-8C7D-8E9FA0B1C2D3";
        auto reply = send(mock, prescriptionMessage(messageId, "24F5DA-A83008-7EFE6A"));
        REQUIRE(reply.applicationAck);
        CHECK(messaging::hl7::toString(reply.applicationAck->typeCode) == "AE");
        REQUIRE(!reply.applicationAck->details.empty());
        CHECK(reply.applicationAck->details.front().code == "5009");
        // Spine processed the message and answered AE: the journal says so, with the code.
        CHECK(mock.journalCount(messageId, "processed") == 1);
        bool journalled5009 = false;
        for (const auto& entry : mock.journal()) {
            journalled5009 |= entry->getValue<std::string>("messageId") == messageId &&
                              entry->getValue<std::string>("replyCode") == "5009";
        }
        CHECK(journalled5009);
    }

    TEST_CASE(
        "spine-mock answers a replayed MessageId with the original reply and processes it once") {
        TempDir dir("gp-mock");
        SpineMock mock(dir.path() / "mock");
        mock.start();
        const std::string messageId = "D0B1C2D3-E4F5-4A6B-8C7D-8E9FA0B1C2D3";
        const auto http = prescriptionMessage(messageId, "0DA698-A83008-F50593");
        auto first =
            mock.post("/reliablemessaging/reliablerequest", http.body,
                      {{"Content-Type", http.contentType}, {"SOAPAction", http.soapAction}});
        auto again =
            mock.post("/reliablemessaging/reliablerequest", http.body,
                      {{"Content-Type", http.contentType}, {"SOAPAction", http.soapAction}});
        CHECK(first.status == again.status);
        CHECK(first.body == again.body);
        CHECK(mock.journalCount(messageId, "processed") == 1);
        CHECK(mock.journalCount(messageId, "replayed") == 1);
    }

} // TEST_SUITE
