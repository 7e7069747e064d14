#include "ErsTestSupport.hpp"
#include "FixedRandom.hpp"

#include <doctest/doctest.h>

using namespace gp::mock;
using namespace gp::mock::test;

namespace {

MockRequest createRequest(const std::string& body) {
    return ersRequest("POST", "/ReferralRequest/$ers.createReferral", body);
}

std::vector<std::string> serviceIds(int count) {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
        ids.push_back(std::to_string(10000001 + i));
    }
    return ids;
}

/// Returns the queued values in turn, then the last one forever.
class ScriptedRandom final : public gp::messaging::ids::RandomSource {
public:
    explicit ScriptedRandom(std::vector<std::uint64_t> values) : m_values(std::move(values)) {}
    std::uint64_t nextU64() override {
        const auto value = m_values[std::min(m_next, m_values.size() - 1)];
        ++m_next;
        return value;
    }

private:
    std::vector<std::uint64_t> m_values;
    std::size_t m_next = 0;
};

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("A011 creates a referral: 201, a 12-digit UBRN, version 1 and the correlation id") {
        ErsFixture ers;
        const auto reply = ers.reply(
            createRequest(createBody(kValidNhsNumber, {"10000001", "10000002"}, "URGENT")));
        REQUIRE(reply.status == 201);
        CHECK(reply.contentType == "application/fhir+json");
        CHECK(replyHeader(reply, "ETag") == "W/\"1\"");
        CHECK(replyHeader(reply, "X-Correlation-ID") == kCorrelationId);

        const auto referral = json(reply.body);
        CHECK(referral->getValue<std::string>("resourceType") == "ReferralRequest");
        const auto ubrn = referral->getValue<std::string>("id");
        CHECK(ubrn.size() == 12);
        CHECK(ubrn.find_first_not_of("0123456789") == std::string::npos);
        CHECK(referral->getObject("meta")->getValue<std::string>("versionId") == "1");
        CHECK(referral->getValue<std::string>("status") == "active");
        CHECK(referral->getObject("subject")
                  ->getObject("identifier")
                  ->getValue<std::string>("value") == kValidNhsNumber);
        const auto priority = referral->getArray("extension")->getObject(0);
        CHECK(priority->getObject("valueCodeableConcept")
                  ->getArray("coding")
                  ->getObject(0)
                  ->getValue<std::string>("code") == "URGENT");
        const auto shortlist = referral->getArray("contained")->getObject(0);
        CHECK(shortlist->getArray("entry")->size() == 2);
        CHECK(referral->getArray("supportingInfo")->size() == 0);

        const auto listed = ers.adminReferrals();
        REQUIRE(listed->size() == 1);
        CHECK(listed->getObject(0)->getValue<std::string>("ubrn") == ubrn);
        CHECK(listed->getObject(0)->getValue<std::string>("correlationId") == kCorrelationId);
        CHECK(listed->getObject(0)->getValue<std::string>("odsCode") == kOdsA);

        auto journal = ers.store->journal(kCorrelationId);
        REQUIRE(journal.ok());
        REQUIRE(journal->size() == 1);
        CHECK(journal->front().interaction == "A011");
        CHECK(journal->front().outcome == "processed");
        CHECK(journal->front().replyCode == "201");
    }

    TEST_CASE("A011 is not idempotent: the same request twice makes two referrals") {
        ErsFixture ers;
        const auto first = ers.create();
        const auto second = ers.create();
        CHECK(first != second);
        CHECK(ers.adminReferrals()->size() == 2);
        CHECK(ers.adminReferrals(kCorrelationId)->size() == 2);
        CHECK(ers.adminReferrals("someone-else")->size() == 0);
    }

    TEST_CASE("A011 draws again when the random UBRN is already in use") {
        TempDir dir;
        ManualClock clock;
        ScriptedRandom random({7, 7, 7, 8});
        RecordingWaiter waiter;
        FaultPlan faults;
        auto config = testConfig(dir.path());
        config.ersRateLimit = 0;
        MockStore store(dir.path());
        ErsEndpoint ers(config, store, faults, clock, random, waiter);
        const auto body = createBody(kValidNhsNumber, {"10000001"});
        CHECK(json(ers.handle(createRequest(body)).reply.body)->getValue<std::string>("id") ==
              "000000000007");
        CHECK(json(ers.handle(createRequest(body)).reply.body)->getValue<std::string>("id") ==
              "000000000008");
    }

    TEST_CASE("A011 without a correlation id journals under the new UBRN") {
        ErsFixture ers;
        auto request = createRequest(createBody(kValidNhsNumber, {"10000003"}));
        removeHeader(request, "X-Correlation-ID");
        const auto reply = ers.reply(request);
        REQUIRE(reply.status == 201);
        CHECK(replyHeader(reply, "X-Correlation-ID").empty());
        const auto ubrn = json(reply.body)->getValue<std::string>("id");
        auto journal = ers.store->journal(ubrn);
        REQUIRE(journal.ok());
        CHECK(journal->size() == 1);
    }

    TEST_CASE("A011 accepts a full shortlist of 20, top-level priority and service parameters") {
        ErsFixture ers;
        CHECK(ers.reply(createRequest(createBody(kValidNhsNumber, serviceIds(20)))).status == 201);
        const std::string convenience =
            std::string(R"({"resourceType":"Parameters","parameter":[)") +
            R"({"name":"patient","valueIdentifier":{"value":")" + kValidNhsNumber + R"("}},)" +
            R"({"name":"service","valueIdentifier":{"value":"10000004"}},)" +
            R"({"name":"service","valueIdentifier":{"value":"10000005"}},)" +
            R"({"name":"priority","valueCoding":{"code":"TWO_WEEK_WAIT"}}]})";
        const auto reply = ers.reply(createRequest(convenience));
        REQUIRE(reply.status == 201);
        const auto listed = ers.adminReferrals()->getObject(1);
        CHECK(listed->getValue<std::string>("priority") == "TWO_WEEK_WAIT");
        CHECK(listed->getArray("services")->size() == 2);
    }

    TEST_CASE("A011 refuses bad input with 422 and the e-RS code, creating nothing") {
        struct Case {
            const char* name;
            std::string body;
            const char* code;
        };
        const std::vector<Case> cases = {
            {"not JSON", "{nope", "INVALID_FHIR_STRUCTURE"},
            {"not Parameters", R"({"resourceType":"Patient"})", "INVALID_FHIR_STRUCTURE"},
            {"no patient", R"({"resourceType":"Parameters","parameter":[]})", "MISSING_VALUE"},
            {"bad check digit", createBody("9434765910", {"10000001"}), "INVALID_VALUE"},
            {"nine digits", createBody("943476591", {"10000001"}), "INVALID_VALUE"},
            {"empty shortlist", createBody(kValidNhsNumber, {}), "MISSING_VALUE"},
            {"21 services", createBody(kValidNhsNumber, serviceIds(21)), "TOO_MANY_ITEMS"},
            {"duplicate service", createBody(kValidNhsNumber, {"10000001", "10000001"}),
             "DUPLICATE_SERVICE"},
            {"unknown service", createBody(kValidNhsNumber, {"99999999"}), "REFERENCE_NOT_FOUND"},
            {"unknown priority", createBody(kValidNhsNumber, {"10000001"}, "WHENEVER"),
             "INVALID_CODE"},
        };
        ErsFixture ers;
        for (const auto& c : cases) {
            CAPTURE(c.name);
            const auto reply = ers.reply(createRequest(c.body));
            CHECK(reply.status == 422);
            CHECK(errorCode(reply) == c.code);
            CHECK(replyHeader(reply, "X-Correlation-ID") == kCorrelationId);
        }
        CHECK(ers.adminReferrals()->size() == 0);
        auto journal = ers.store->journal(kCorrelationId);
        REQUIRE(journal.ok());
        CHECK(journal->size() == cases.size());
        CHECK(journal->front().outcome == "rejected");
        CHECK(journal->front().replyCode == "422");
    }

    TEST_CASE("the OperationOutcome carries the e-RS code system and names the field") {
        ErsFixture ers;
        const auto reply = ers.reply(createRequest(createBody(kValidNhsNumber, serviceIds(21))));
        const auto issue = json(reply.body)->getArray("issue")->getObject(0);
        CHECK(issue->getValue<std::string>("severity") == "error");
        const auto coding = issue->getObject("details")->getArray("coding")->getObject(0);
        CHECK(coding->getValue<std::string>("system") ==
              "https://fhir.nhs.uk/STU3/CodeSystem/eRS-APIErrorCode-1");
        CHECK(issue->getValue<std::string>("diagnostics") ==
              "shortlist: at most 20 services, not 21");
    }
}
