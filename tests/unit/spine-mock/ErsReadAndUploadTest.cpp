#include "ErsTestSupport.hpp"

#include <doctest/doctest.h>

using namespace gp::mock;
using namespace gp::mock::test;

namespace {

MockRequest uploadRequest(std::string bytes, const std::string& type = "application/pdf") {
    auto request = ersRequest("POST", "/Binary", std::move(bytes), type);
    setHeader(request, "NHSD-eRS-File-Name", "letter.pdf");
    return request;
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("A005 reads a referral with its ETag, and 404s an unknown UBRN") {
        ErsFixture ers;
        const auto ubrn = ers.create({"10000002"});
        const auto reply = ers.reply(ersRequest("GET", "/ReferralRequest/" + ubrn, {}, ""));
        REQUIRE(reply.status == 200);
        CHECK(replyHeader(reply, "ETag") == "W/\"1\"");
        const auto referral = json(reply.body);
        CHECK(referral->getValue<std::string>("id") == ubrn);
        const auto item = referral->getArray("contained")
                              ->getObject(0)
                              ->getArray("entry")
                              ->getObject(0)
                              ->getObject("item");
        CHECK(item->getObject("identifier")->getValue<std::string>("value") == "10000002");
        CHECK(item->getValue<std::string>("display") == "Mock Dermatology Service 2");

        const auto missing = ers.reply(ersRequest("GET", "/ReferralRequest/000000000000", {}, ""));
        CHECK(missing.status == 404);
        CHECK(errorCode(missing) == "REFERENCE_NOT_FOUND");
    }

    TEST_CASE("A020 stores an upload and answers 201 with its Location") {
        ErsFixture ers;
        auto request = uploadRequest("%PDF-1.4 hello");
        setHeader(request, "NHSD-eRS-Referral-ID", "000000000123");
        const auto reply = ers.reply(request);
        REQUIRE(reply.status == 201);
        CHECK(reply.body.empty());
        const auto location = replyHeader(reply, "Location");
        const std::string prefix = "/referrals/FHIR/STU3/Binary/att-";
        REQUIRE(location.rfind(prefix, 0) == 0);
        CHECK(location.size() == prefix.size() + 16);

        auto stored = ers.ers->store().binary(location.substr(location.rfind('/') + 1));
        REQUIRE(stored.ok());
        REQUIRE(stored->has_value());
        CHECK((*stored)->size == 14);
        CHECK((*stored)->referralId == "000000000123");
        CHECK((*stored)->fileName == "letter.pdf");
        CHECK((*stored)->contentType == "application/pdf");
        CHECK((*stored)->sha256.size() == 64);
    }

    TEST_CASE("A020 takes up to 5 MiB and refuses empty or larger files with FILE_SIZE_ERROR") {
        ErsFixture ers;
        CHECK(ers.reply(uploadRequest(std::string(5 * 1024 * 1024, 'x'))).status == 201);
        for (const std::size_t size : {std::size_t{0}, std::size_t{5 * 1024 * 1024 + 1}}) {
            CAPTURE(size);
            const auto reply = ers.reply(uploadRequest(std::string(size, 'x')));
            CHECK(reply.status == 422);
            CHECK(errorCode(reply) == "FILE_SIZE_ERROR");
        }
    }

    TEST_CASE("A020 needs a supported file type and a file name") {
        ErsFixture ers;
        const auto wrongType = ers.reply(uploadRequest("bytes", "application/x-msdownload"));
        CHECK(wrongType.status == 415);
        CHECK(errorCode(wrongType) == "UNSUPPORTED_MEDIA_TYPE");

        auto noName = uploadRequest("bytes");
        removeHeader(noName, "NHSD-eRS-File-Name");
        const auto reply = ers.reply(noName);
        CHECK(reply.status == 422);
        CHECK(errorCode(reply) == "MISSING_VALUE");
    }
}
