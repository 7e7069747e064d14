// No patient data in any log line (docs/security.md, "Logs and the audit trail"): a mixed run of
// everything that handles patients, at debug level, then every log of every process searched for
// the NHS numbers (as digits and as written with spaces) and the patient names it used.

#include "ProcessHarness.hpp"

#include <gp/agent/Files.hpp>

#include <Poco/JSON/Array.h>
#include <doctest/doctest.h>

#include <fstream>

using namespace gp::test;
namespace fs = std::filesystem;

namespace {

const TestPractice kOldPractice{"A83008", "A83008-9199121", "200000001234"};
const TestPractice kNewPractice{"B86041", "B86041-9199122", "200000005678"};

// One patient per service, so a leak says where it came from. Names no log would hold otherwise.
const std::string kEpsNhs = "9434765919";
const std::string kGp2gpNhs = "9449304130";
const std::string kErsNhs = "9000000009";
const std::string kUnknownNhs = "9876543210"; // a patient the old practice does not hold
const std::string kEpsFamily = "QUILLERBY";
const std::string kEpsGiven = "ZEPHYRINA";
const std::string kGp2gpFamily = "VANTERPOOL";
const std::string kGp2gpGiven = "OSWELDINE";

std::string spaced(const std::string& nhs) {
    return nhs.substr(0, 3) + " " + nhs.substr(3, 3) + " " + nhs.substr(6);
}

std::string swap(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

std::string eventually(const std::function<std::string()>& read, const std::string& wanted) {
    std::string last;
    waitUntil(
        [&] {
            last = read();
            return last == wanted;
        },
        std::chrono::seconds(90));
    return last;
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("no log line of a mixed run holds an NHS number or a patient's name") {
        TempDir dir("gp-logs");
        const fs::path records = dir.path() / "records";
        SpineMock mock(dir.path() / "mock", "mock.logLevel = debug\n"
                                            "mock.gp2gp.retryInterval = PT0.2S\n"
                                            "mock.forwardRetryDelay = PT0.1S\n"
                                            "mock.forwardMaxDelay = PT0.5S\n");
        mock.start();
        const auto ersToken = dir.path() / "ers-token";
        gp::agent::writeFileAtomically(ersToken, "test-ers-token\n", 0600);
        const std::string debug = "log.level = debug\n";
        Agent oldPractice(dir.path() / "old", mock.baseUrl(),
                          debug + "gp2gp.recordSource = " + records.string() + "\n", kOldPractice);
        Agent newPractice(dir.path() / "new", mock.baseUrl(),
                          debug + "gp2gp.importDir = " + (dir.path() / "import").string() + "\n" +
                              "ers.url = " + mock.baseUrl() + "/referrals/FHIR/STU3\n" +
                              "ers.tokenFile = " + ersToken.string() + "\n",
                          kNewPractice);
        oldPractice.start();
        newPractice.start();
        mock.registerPractice(kOldPractice.odsCode, kOldPractice.partyKey, kOldPractice.asid,
                              oldPractice.inboundUrl());
        mock.registerPractice(kNewPractice.odsCode, kNewPractice.partyKey, kNewPractice.asid,
                              newPractice.inboundUrl());

        // EPS: a prescription, sent through a 503 and a retriable SOAP fault (error paths log
        // Spine's answers), and the cancellation of its item.
        mock.injectFault(R"({"interaction": "PORX_IN020101SM31", "times": 1,
                             "fault": {"type": "http", "status": 503}})");
        mock.injectFault(R"({"interaction": "PORX_IN020101SM31", "times": 1,
                             "fault": {"type": "soapFault", "codes": ["200"]}})");
        std::string prescription = swap(prescriptionJson(), "9449304130", kEpsNhs);
        prescription = swap(swap(prescription, "SMITH", kEpsFamily), "JANE", kEpsGiven);
        auto submitted = newPractice.submit(prescription);
        REQUIRE_MESSAGE(submitted.status == 202, submitted.body);
        const auto accepted = parseJsonObject(submitted.body);
        const auto messageId = accepted->getValue<std::string>("messageId");
        const auto prescriptionId = accepted->getValue<std::string>("prescriptionId");
        const auto itemId =
            accepted->getArray("items")->getObject(0)->getValue<std::string>("lineItemId");
        REQUIRE(newPractice.waitForState(messageId, "acked"));
        auto cancelled = newPractice.api().post("/v1/eps/cancellations",
                                                R"({"prescriptionId": ")" + prescriptionId +
                                                    R"(", "lineItemId": ")" + itemId +
                                                    R"(", "reason": "0001"})");
        REQUIRE_MESSAGE(cancelled.status == 202, cancelled.body);
        REQUIRE(newPractice.waitForState(
            parseJsonObject(cancelled.body)->getValue<std::string>("messageId"), "acked"));

        // A refused submission: validation errors must not echo the patient either.
        auto refused = newPractice.submit(swap(prescription, kEpsNhs, "9434765918"));
        CHECK(refused.status == 400);

        // GP2GP: the new practice asks the old one for a named patient's record.
        fs::create_directories(records / kGp2gpNhs);
        std::ofstream(records / kGp2gpNhs / "record.json")
            << R"({"patient": {"nhsNumber": ")" << kGp2gpNhs << R"(", "family": ")" << kGp2gpFamily
            << R"(", "given": ")" << kGp2gpGiven
            << R"(", "birthDate": "1975-02-03", "gender": "male"},
                "compositions": [{"title": "Surgery consultation", "effectiveTime": "2024-01-05",
                "author": "DR A JONES", "entries": [{"kind": "narrative",
                "text": "Reviewed and filed."}]}], "attachments": []})";
        auto requested = newPractice.api().post(
            "/v1/gp2gp/requests", R"({"nhsNumber": ")" + kGp2gpNhs + R"(", "fromOdsCode": ")" +
                                      kOldPractice.odsCode + R"("})");
        REQUIRE_MESSAGE(requested.status == 202, requested.body);
        const auto conversationId =
            parseJsonObject(requested.body)->getValue<std::string>("conversationId");
        const auto transferState = [&](const Agent& agent) {
            auto reply = agent.api().get("/v1/gp2gp/transfers/" + conversationId);
            return reply.status == 200 ? parseJsonObject(reply.body)->getValue<std::string>("state")
                                       : std::string();
        };
        CHECK(eventually([&] { return transferState(newPractice); }, "closed") == "closed");
        CHECK(eventually([&] { return transferState(oldPractice); }, "closed") == "closed");

        // ...and one for a patient it does not hold, which it refuses (NACK 06).
        auto unknown = newPractice.api().post(
            "/v1/gp2gp/requests", R"({"nhsNumber": ")" + kUnknownNhs + R"(", "fromOdsCode": ")" +
                                      kOldPractice.odsCode + R"("})");
        REQUIRE_MESSAGE(unknown.status == 202, unknown.body);
        const auto unknownId =
            parseJsonObject(unknown.body)->getValue<std::string>("conversationId");
        const auto unknownState = [&] {
            auto reply = newPractice.api().get("/v1/gp2gp/transfers/" + unknownId);
            return reply.status == 200 ? parseJsonObject(reply.body)->getValue<std::string>("state")
                                       : std::string();
        };
        CHECK(eventually(unknownState, "failed") == "failed");

        // e-RS: a service search that e-RS refuses once, then a referral for a third patient.
        mock.injectFault(R"({"interaction": "A010", "times": 1,
                             "fault": {"type": "http", "status": 503, "retryAfter": 7}})");
        const std::string search = R"({"nhsNumber": ")" + kErsNhs + R"("})";
        CHECK(newPractice.api().post("/v1/ers/services/search", search).status == 503);
        CHECK(newPractice.api().post("/v1/ers/services/search", search).status == 200);
        auto referred =
            newPractice.api().post("/v1/ers/referrals", R"({"nhsNumber": ")" + kErsNhs +
                                                            R"(", "serviceIds": ["10000001"]})");
        REQUIRE_MESSAGE(referred.status == 202, referred.body);
        const auto requestId = parseJsonObject(referred.body)->getValue<std::string>("requestId");
        const auto referralState = [&] {
            auto reply = newPractice.api().get("/v1/ers/referrals/" + requestId);
            return reply.status == 200 ? parseJsonObject(reply.body)->getValue<std::string>("state")
                                       : std::string();
        };
        CHECK(eventually(referralState, "complete") == "complete");

        // The audit is where patient identifiers belong: it has every one of them.
        const auto audit = newPractice.api().get("/v1/audit?limit=10000");
        REQUIRE(audit.status == 200);
        CHECK(audit.body.find("\"nhsNumber\":\"" + kEpsNhs + "\"") != std::string::npos);
        CHECK(audit.body.find("\"nhsNumber\":\"" + kGp2gpNhs + "\"") != std::string::npos);
        CHECK(audit.body.find("\"nhsNumber\":\"" + kErsNhs + "\"") != std::string::npos);

        oldPractice.stop();
        newPractice.stop();
        mock.stop();
        std::vector<fs::path> logs;
        for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
            if (entry.is_regular_file() && entry.path().extension() == ".log") {
                logs.push_back(entry.path());
            }
        }
        REQUIRE(logs.size() >= 3);
        std::size_t lines = 0;
        const std::vector<std::string> secrets{
            kEpsNhs,    spaced(kEpsNhs), kGp2gpNhs,    spaced(kGp2gpNhs),
            kErsNhs,    spaced(kErsNhs), kUnknownNhs,  spaced(kUnknownNhs),
            kEpsFamily, kEpsGiven,       kGp2gpFamily, kGp2gpGiven};
        for (const auto& log : logs) {
            std::ifstream in(log);
            for (std::string line; std::getline(in, line);) {
                ++lines;
                for (const auto& secret : secrets) {
                    CHECK_MESSAGE(line.find(secret) == std::string::npos,
                                  log.filename().string() << " holds " << secret << ": " << line);
                }
            }
        }
        CHECK(lines > 50); // the run really was logged in detail, so the search meant something
    }

} // TEST_SUITE
