#include "ErsTestSupport.hpp"

#include <doctest/doctest.h>

using namespace gp::mock;
using namespace gp::mock::test;

namespace {

MockReply lock(ErsFixture& ers, const std::string& body) {
    MockRequest request;
    request.method = "POST";
    request.path = "/_admin/ers/lock";
    request.body = body;
    return ers.reply(request);
}

MockReply cancel(ErsFixture& ers, const std::string& ubrn, const std::string& ifMatch,
                 const std::string& body = cancelBody()) {
    auto request = ersRequest("POST", "/ReferralRequest/" + ubrn + "/$ers.cancelReferral", body);
    setHeader(request, "If-Match", ifMatch);
    return ers.reply(request);
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("A012 attaches an uploaded letter: version 2, the letter listed, new ETag") {
        ErsFixture ers;
        const auto ubrn = ers.create();
        const auto location = ers.upload(ubrn, "%PDF-1.4 seventeen");
        const auto binaryId = location.substr(location.rfind('/') + 1);

        const auto reply = ers.attach(ubrn, {location});
        REQUIRE(reply.status == 200);
        CHECK(replyHeader(reply, "ETag") == "W/\"2\"");
        const auto referral = json(reply.body);
        CHECK(referral->getObject("meta")->getValue<std::string>("versionId") == "2");
        const auto document = referral->getArray("contained")->getObject(1);
        CHECK(document->getValue<std::string>("resourceType") == "DocumentReference");
        const auto attachment =
            document->getArray("content")->getObject(0)->getObject("attachment");
        CHECK(attachment->getValue<std::string>("url") == "Binary/" + binaryId);
        CHECK(attachment->getValue<std::string>("contentType") == "application/pdf");
        CHECK(attachment->getValue<int>("size") == 18);
        CHECK(attachment->getValue<std::string>("title") == "letter.pdf");
        CHECK(referral->getArray("supportingInfo")
                  ->getObject(0)
                  ->getValue<std::string>("reference") == "#DocumentReference-" + binaryId);

        // A read shows the same state.
        const auto read = ers.reply(ersRequest("GET", "/ReferralRequest/" + ubrn, {}, ""));
        CHECK(replyHeader(read, "ETag") == "W/\"2\"");
        CHECK(json(read.body)->getArray("supportingInfo")->size() == 1);
    }

    TEST_CASE("A012 takes the attachment URL as Binary/<id> or an absolute URL too") {
        ErsFixture ers;
        const auto ubrn = ers.create();
        const auto first = ers.upload(ubrn);
        const auto second = ers.upload(ubrn);
        const auto firstId = first.substr(first.rfind('/') + 1);
        const auto secondId = second.substr(second.rfind('/') + 1);
        CHECK(ers.attach(ubrn, {"Binary/" + firstId}).status == 200);
        CHECK(ers.attach(ubrn, {"Binary/" + firstId, "https://ers.example" + second}, "W/\"2\"")
                  .status == 200);
        const auto listed = ers.adminReferrals()->getObject(0)->getArray("attachments");
        REQUIRE(listed->size() == 2);
        CHECK(listed->getElement<std::string>(1) == secondId);
    }

    TEST_CASE("A012 If-Match: missing 400, malformed 400, stale 409") {
        ErsFixture ers;
        const auto ubrn = ers.create();
        const auto location = ers.upload(ubrn);

        auto reply = ers.attach(ubrn, {location}, "");
        CHECK(reply.status == 400);
        CHECK(errorCode(reply) == "MISSING_VALUE");
        reply = ers.attach(ubrn, {location}, "\"1\"");
        CHECK(reply.status == 400);
        CHECK(errorCode(reply) == "INVALID_VALUE");
        reply = ers.attach(ubrn, {location}, "W/\"7\"");
        CHECK(reply.status == 409);
        CHECK(errorCode(reply) == "CONFLICT");
        CHECK(ers.adminReferrals()->getObject(0)->getValue<int>("version") == 1);
    }

    TEST_CASE("A012 refuses letters e-RS would refuse") {
        ErsFixture ers;
        const auto ubrn = ers.create();
        const auto notForThisReferral = ers.upload("");
        const auto otherReferral = ers.upload("000000000042");
        const auto good = ers.upload(ubrn);

        auto reply = ers.attach(ubrn, {notForThisReferral});
        CHECK(reply.status == 422);
        CHECK(errorCode(reply) == "INAPPROPRIATE_VALUE");
        CHECK(errorCode(ers.attach(ubrn, {otherReferral})) == "INAPPROPRIATE_VALUE");
        CHECK(errorCode(ers.attach(ubrn, {"Binary/att-0000000000000000"})) ==
              "REFERENCE_NOT_FOUND");
        CHECK(errorCode(ers.attach(ubrn, {"nothing-here"})) == "INVALID_VALUE");
        CHECK(errorCode(ers.attach(ubrn, {good, good})) == "DUPLICATE_FILENAME");
        CHECK(errorCode(ers.attach(ubrn, {})) == "MISSING_VALUE");

        REQUIRE(ers.attach(ubrn, {good}).status == 200);
        reply = ers.attach(ubrn, {good}, "W/\"2\"");
        CHECK(reply.status == 422);
        CHECK(errorCode(reply) == "NO_CHANGES_DETECTED");
        CHECK(errorCode(ers.attach("000000000099", {good})) == "REFERENCE_NOT_FOUND");
    }

    TEST_CASE("a referral locked through the admin API answers 423 for N updates, then works") {
        ErsFixture ers;
        const auto ubrn = ers.create();
        const auto location = ers.upload(ubrn);
        const auto locked = lock(ers, R"({"ubrn":")" + ubrn + R"(","requests":2})");
        CHECK(locked.status == 200);
        CHECK(locked.body == R"({"ubrn":")" + ubrn + R"(","requests":2})");

        for (int i = 0; i < 2; ++i) {
            const auto reply = ers.attach(ubrn, {location});
            CHECK(reply.status == 423);
            CHECK(errorCode(reply) == "LOCKED");
        }
        CHECK(ers.attach(ubrn, {location}).status == 200);

        CHECK(lock(ers, R"({"ubrn":"000000000099"})").status == 404);
        CHECK(lock(ers, R"({"ubrn":")" + ubrn + R"(","requests":0})").status == 400);
        CHECK(lock(ers, "not json").status == 400);
    }

    TEST_CASE("A036 cancels: status cancelled, version up, and no more updates") {
        ErsFixture ers;
        const auto ubrn = ers.create();
        const auto location = ers.upload(ubrn);

        const auto noReason = cancel(ers, ubrn, "W/\"1\"", R"({"resourceType":"Parameters"})");
        CHECK(noReason.status == 422);
        CHECK(errorCode(noReason) == "MISSING_VALUE");
        CHECK(cancel(ers, ubrn, "W/\"5\"").status == 409);

        const auto reply = cancel(ers, ubrn, "W/\"1\"");
        REQUIRE(reply.status == 200);
        CHECK(replyHeader(reply, "ETag") == "W/\"2\"");
        CHECK(json(reply.body)->getValue<std::string>("status") == "cancelled");

        const auto again = cancel(ers, ubrn, "W/\"2\"");
        CHECK(again.status == 422);
        CHECK(errorCode(again) == "INVALID_REQUEST_STATE");
        CHECK(errorCode(ers.attach(ubrn, {location}, "W/\"2\"")) == "INVALID_REQUEST_STATE");

        auto journal = ers.store->journal(kCorrelationId);
        REQUIRE(journal.ok());
        int cancelled = 0;
        for (const auto& entry : *journal) {
            cancelled += entry.interaction == "A036" && entry.outcome == "processed" ? 1 : 0;
        }
        CHECK(cancelled == 1);
    }
}
