#pragma once

// Request builders and reply readers for the e-RS endpoint's tests.

#include "MockTestSupport.hpp"

#include <gp/mock/ErsEndpoint.hpp>
#include <gp/mock/FaultPlan.hpp>
#include <gp/mock/MockStore.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace gp::mock::test {

inline constexpr const char* kErsBase = "/referrals/FHIR/STU3";
inline constexpr const char* kOdsA = "A83008";
inline constexpr const char* kCorrelationId = "c0ffee00-0000-4000-8000-000000000001";

/// A request with every header e-RS requires, as a REFERRING_CLINICIAN at A83008.
inline MockRequest ersRequest(const std::string& method, const std::string& path,
                              std::string body = {},
                              const std::string& contentType = "application/fhir+json") {
    MockRequest request;
    request.method = method;
    request.path = std::string(kErsBase) + path;
    request.headers = {{"Authorization", "Bearer test-token"},
                       {"NHSD-eRS-Business-Function", "REFERRING_CLINICIAN"},
                       {"NHSD-End-User-Organisation-ODS", kOdsA},
                       {"X-Correlation-ID", kCorrelationId}};
    if (!contentType.empty()) {
        request.headers.emplace_back("Content-Type", contentType);
    }
    request.body = std::move(body);
    return request;
}

inline void setHeader(MockRequest& request, const std::string& name, const std::string& value) {
    for (auto& [key, existing] : request.headers) {
        if (key == name) {
            existing = value;
            return;
        }
    }
    request.headers.emplace_back(name, value);
}

inline void removeHeader(MockRequest& request, const std::string& name) {
    std::erase_if(request.headers, [&](const auto& header) { return header.first == name; });
}

/// A011's body in the specification's shape: the shortlist List, priority in its contained
/// search criteria.
inline std::string createBody(const std::string& nhsNumber,
                              const std::vector<std::string>& services,
                              const std::string& priority = {}) {
    std::string entries;
    for (const auto& id : services) {
        entries +=
            std::string(entries.empty() ? "" : ",") +
            R"({"item":{"identifier":{"system":"http://fhir.nhs.net/Id/ers-service","value":")" +
            id + R"("}}})";
    }
    std::string contained;
    if (!priority.empty()) {
        contained =
            R"("contained":[{"resourceType":"Parameters","id":"ServiceSearchCriteria-1","parameter":[{"name":"priority","valueCoding":{"system":"https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1","code":")" +
            priority + R"("}}]}],)";
    }
    return R"({"resourceType":"Parameters","parameter":[{"name":"patient","valueIdentifier":{"system":"http://fhir.nhs.net/Id/nhs-number","value":")" +
           nhsNumber +
           R"("}},{"name":"shortlist","resource":{"resourceType":"List","status":"current","mode":"snapshot",)" +
           contained + R"("entry":[)" + entries + "]}}]}";
}

inline std::string letterBody(const std::vector<std::string>& urls) {
    std::string files;
    for (const auto& url : urls) {
        files +=
            std::string(files.empty() ? "" : ",") +
            R"({"name":"referralLetterFile","resource":{"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"url":")" +
            url + R"("}}]}})";
    }
    return R"({"resourceType":"Parameters","parameter":[)" + files + "]}";
}

inline std::string cancelBody(const std::string& reason = "TREATMENT_NO_LONGER_REQUIRED") {
    return R"({"resourceType":"Parameters","parameter":[{"name":"cancellationReason","valueCoding":{"code":")" +
           reason + R"("}}]})";
}

inline std::string worklistBody(const std::string& listType) {
    return R"({"resourceType":"Parameters","parameter":[{"name":"listType","valueCodeableConcept":{"coding":[{"system":"https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReferralListSelector-1","code":")" +
           listType + R"("}]}}]})";
}

inline Poco::JSON::Object::Ptr json(const std::string& body) {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
}

inline Poco::JSON::Array::Ptr jsonArray(const std::string& body) {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Array::Ptr>();
}

inline std::string replyHeader(const MockReply& reply, const std::string& name) {
    for (const auto& [key, value] : reply.headers) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

/// issue[0].details.coding[0].code of an OperationOutcome.
inline std::string errorCode(const MockReply& reply) {
    const auto outcome = json(reply.body);
    if (outcome->getValue<std::string>("resourceType") != "OperationOutcome") {
        return "(not an OperationOutcome)";
    }
    return outcome->getArray("issue")
        ->getObject(0)
        ->getObject("details")
        ->getArray("coding")
        ->getObject(0)
        ->getValue<std::string>("code");
}

/// An e-RS endpoint on a fresh state directory with a manual clock; no rate limit unless asked.
struct ErsFixture {
    explicit ErsFixture(int rateLimit = 0) {
        config = testConfig(dir.path());
        config.ersRateLimit = rateLimit;
        open();
    }

    /// Closes and reopens the store and endpoint on the same directory, as a restart does.
    void open() {
        ers.reset();
        store.reset();
        store = std::make_unique<MockStore>(dir.path());
        ers = std::make_unique<ErsEndpoint>(config, *store, faults, clock, random, waiter);
    }

    MockReply reply(const MockRequest& request) {
        auto action = ers->handle(request);
        REQUIRE(action.kind == MockAction::Kind::Reply);
        return action.reply;
    }

    /// Creates a referral for the given services and returns its UBRN.
    std::string create(const std::vector<std::string>& services = {"10000001"}) {
        const auto created = reply(ersRequest("POST", "/ReferralRequest/$ers.createReferral",
                                              createBody(kValidNhsNumber, services)));
        REQUIRE(created.status == 201);
        return json(created.body)->getValue<std::string>("id");
    }

    /// Uploads a file for the referral and returns the Location header.
    std::string upload(const std::string& ubrn, const std::string& bytes = "%PDF-1.4 letter") {
        auto request = ersRequest("POST", "/Binary", bytes, "application/pdf");
        setHeader(request, "NHSD-eRS-File-Name", "letter.pdf");
        if (!ubrn.empty()) {
            setHeader(request, "NHSD-eRS-Referral-ID", ubrn);
        }
        const auto uploaded = reply(request);
        REQUIRE(uploaded.status == 201);
        return replyHeader(uploaded, "Location");
    }

    MockReply attach(const std::string& ubrn, const std::vector<std::string>& urls,
                     const std::string& ifMatch = "W/\"1\"") {
        auto request = ersRequest(
            "POST", "/ReferralRequest/" + ubrn + "/$ers.maintainReferralLetter", letterBody(urls));
        if (!ifMatch.empty()) {
            setHeader(request, "If-Match", ifMatch);
        }
        return reply(request);
    }

    Poco::JSON::Array::Ptr adminReferrals(const std::string& correlationId = {}) {
        MockRequest request;
        request.method = "GET";
        request.path = "/_admin/ers/referrals";
        if (!correlationId.empty()) {
            request.queryParameters.emplace_back("correlationId", correlationId);
        }
        return jsonArray(reply(request).body);
    }

    TempDir dir;
    ManualClock clock;
    SeededRandom random;
    RecordingWaiter waiter;
    MockConfig config;
    FaultPlan faults;
    std::unique_ptr<MockStore> store;
    std::unique_ptr<ErsEndpoint> ers;
};

} // namespace gp::mock::test
