// What the dispatcher makes of Spine's (and e-RS's) answer to a send: the reply reader
// (parseSpineReply) and both outcome classifiers, over any status line, headers and body.
//
// Input: byte 0 picks the HTTP status (or a transport failure), byte 1 picks idempotency for the
// FHIR classifier, then one line of Content-Type, one line used as Retry-After and
// Content-Location, and the rest is the body.

#include "FuzzInput.hpp"

#include <gp/agent/dispatch/FhirOutcomeClassifier.hpp>
#include <gp/agent/dispatch/OutcomeClassifier.hpp>
#include <gp/messaging/spine/SpineReply.hpp>

#include <array>
#include <string>

namespace {

// Statuses the classifiers treat differently, plus a few odd ones; 0 means no response at all.
constexpr std::array<int, 20> kStatuses{0,   200, 202, 204, 301, 400, 403, 404, 409, 422,
                                        423, 429, 500, 501, 502, 503, 504, 505, 599, 999};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const int status = kStatuses[data[0] % kStatuses.size()];
    const bool idempotent = (data[1] & 1) != 0;
    const auto [contentType, rest] = gp::fuzz::splitFirstLine(gp::fuzz::asText(data + 2, size - 2));
    const auto [headerValue, body] = gp::fuzz::splitFirstLine(rest);

    (void)gp::messaging::spine::parseSpineReply(contentType, body);

    gp::agent::TransportResult result;
    if (status == 0) {
        result.failure = static_cast<gp::agent::TransportResult::Failure>(1 + data[1] % 5);
        result.failureText = std::string(headerValue);
    } else {
        gp::agent::HttpResponse response;
        response.status = status;
        response.headers = {{"Content-Type", std::string(contentType)},
                            {"Retry-After", std::string(headerValue)},
                            {"Content-Location", std::string(headerValue)}};
        response.body = std::string(body);
        result.response = std::move(response);
    }
    (void)gp::agent::classify(result);
    (void)gp::agent::classifyFhir(result, idempotent);
    return 0;
}
