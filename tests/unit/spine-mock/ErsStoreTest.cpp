#include "../../../spine-mock/src/ErsFhir.hpp"
#include "../../../spine-mock/src/Sqlite.hpp"
#include "ErsTestSupport.hpp"

#include <doctest/doctest.h>

using namespace gp::mock;
using namespace gp::mock::test;

TEST_SUITE("spine-mock") {

    TEST_CASE("e-RS referrals and uploads survive a restart of the mock") {
        ErsFixture ers;
        const auto ubrn = ers.create({"10000001", "10000007"});
        const auto location = ers.upload(ubrn);
        REQUIRE(ers.attach(ubrn, {location}).status == 200);

        ers.open();

        const auto read = ers.reply(ersRequest("GET", "/ReferralRequest/" + ubrn, {}, ""));
        REQUIRE(read.status == 200);
        CHECK(replyHeader(read, "ETag") == "W/\"2\"");
        const auto referral = json(read.body);
        CHECK(referral->getArray("contained")->getObject(0)->getArray("entry")->size() == 2);
        CHECK(referral->getArray("contained")
                  ->getObject(1)
                  ->getArray("content")
                  ->getObject(0)
                  ->getObject("attachment")
                  ->getValue<std::string>("title") == "letter.pdf");
        const auto listed = ers.adminReferrals(kCorrelationId);
        REQUIRE(listed->size() == 1);
        CHECK(listed->getObject(0)->getValue<std::string>("nhsNumber") == kValidNhsNumber);
        // A stale version is still stale after the restart.
        CHECK(ers.attach(ubrn, {location}, "W/\"1\"").status == 409);
    }

    TEST_CASE("the mock's database is at user_version 2 or later with the e-RS tables") {
        TempDir dir;
        { MockStore store(dir.path()); }
        MockStore reopened(dir.path());
        std::int64_t version = 0;
        int tables = 0;
        auto read = reopened.withDatabase([&](SqliteDatabase& db) -> gp::Status {
            auto pragma = db.prepare("PRAGMA user_version");
            auto row = pragma.step();
            if (!row) {
                return row.error();
            }
            version = pragma.integer(0);
            auto count = db.prepare("SELECT count(*) FROM sqlite_master WHERE name IN "
                                    "('ers_referrals', 'ers_binaries')");
            auto counted = count.step();
            if (!counted) {
                return counted.error();
            }
            tables = static_cast<int>(count.integer(0));
            return gp::success();
        });
        REQUIRE(read.ok());
        CHECK(version >= 2);
        CHECK(tables == 2);
    }

    TEST_CASE("NHS numbers are checked with the modulus 11 check digit") {
        CHECK(ersfhir::isValidNhsNumber("9434765919"));
        CHECK(ersfhir::isValidNhsNumber("9434765870"));
        CHECK_FALSE(ersfhir::isValidNhsNumber("9434765918"));
        CHECK_FALSE(ersfhir::isValidNhsNumber("943476591"));
        CHECK_FALSE(ersfhir::isValidNhsNumber("94347659190"));
        CHECK_FALSE(ersfhir::isValidNhsNumber("943476591X"));
        // 1000000010: the check digit would be 10, so no number with these nine digits is valid.
        CHECK_FALSE(ersfhir::isValidNhsNumber("1000000010"));
    }
}
