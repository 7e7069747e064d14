#include "OutcomeParts.hpp"

#include <gp/agent/dispatch/FhirOutcomeClassifier.hpp>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>
#include <typeinfo>

namespace gp::agent {

namespace {

using outcome::acknowledged;
using outcome::failureName;
using outcome::httpDetail;
using outcome::parseRetryAfter;
using outcome::permanent;
using outcome::retriable;

/// What the first issue of an OperationOutcome says; empty fields when the body is not one.
struct IssueSummary {
    std::string code;
    std::string text;
};

std::string stringField(const Poco::JSON::Object::Ptr& object, const std::string& name) {
    if (!object || !object->has(name)) {
        return {};
    }
    const Poco::Dynamic::Var value = object->get(name);
    return value.isString() ? value.extract<std::string>() : std::string();
}

IssueSummary firstIssue(const HttpResponse& response) {
    IssueSummary summary;
    if (response.body.empty()) {
        return summary;
    }
    try {
        Poco::JSON::Parser parser;
        const Poco::Dynamic::Var parsed = parser.parse(response.body);
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
            return summary;
        }
        const auto resource = parsed.extract<Poco::JSON::Object::Ptr>();
        if (stringField(resource, "resourceType") != "OperationOutcome") {
            return summary;
        }
        const auto issues = resource->getArray("issue");
        if (!issues || issues->size() == 0) {
            return summary;
        }
        const auto issue = issues->getObject(0);
        if (!issue) {
            return summary;
        }
        const auto details = issue->getObject("details");
        Poco::JSON::Object::Ptr coding;
        if (details) {
            if (const auto codings = details->getArray("coding"); codings && codings->size() > 0) {
                coding = codings->getObject(0);
            }
        }
        // e-RS puts its own error code (e.g. REFERRAL_NOT_FOUND) in the coding; the issue's
        // code is FHIR's coarse type (invalid, business-rule), the fallback.
        summary.code = stringField(coding, "code");
        if (summary.code.empty()) {
            summary.code = stringField(issue, "code");
        }
        summary.text = stringField(issue, "diagnostics");
        if (summary.text.empty()) {
            summary.text = stringField(coding, "display");
        }
        if (summary.text.empty()) {
            summary.text = stringField(details, "text");
        }
    } catch (const Poco::Exception&) {
        // Not JSON (a proxy's HTML page): the status line alone decides.
        return {};
    } catch (const std::bad_cast&) {
        return {};
    }
    return summary;
}

std::string textOr(const IssueSummary& issue, std::string fallback) {
    return issue.text.empty() ? std::move(fallback) : issue.text;
}

Outcome outcomeUnknown(std::string what, std::string detail) {
    // e-RS may have done the work and there is no idempotency key to make a resend harmless:
    // the workflow must look up what happened instead.
    return permanent({"outcome-unknown", what + ": e-RS may have acted on the request, so it is"
                                                " not sent again"},
                     detail + "; outcome unknown");
}

} // namespace

Outcome classifyFhir(const TransportResult& result, bool idempotent) {
    if (result.failure != TransportResult::Failure::None || !result.response) {
        const std::string name(failureName(result.failure));
        std::string text = result.failureText.empty() ? "no HTTP response" : result.failureText;
        // A connect that failed sent nothing, so even a create is safe to send again.
        if (idempotent || result.failure == TransportResult::Failure::ConnectFailed) {
            return retriable({"transport-" + name, std::move(text)}, name, true, std::nullopt);
        }
        return outcomeUnknown(name + " (" + text + ")", name);
    }

    const HttpResponse& response = *result.response;
    const int status = response.status;
    const std::string code = "http-" + std::to_string(status);
    const std::string detail = httpDetail(status);
    if (status >= 200 && status < 300) {
        return acknowledged(detail);
    }

    const IssueSummary issue = firstIssue(response);
    const std::string issueDetail = issue.code.empty() ? detail : detail + "; " + issue.code;
    switch (status) {
    case 429:
    case 503:
        return retriable({code, textOr(issue, "throttled or unavailable")}, issueDetail, true,
                         parseRetryAfter(response));
    case 502:
    case 504:
        // A gateway gave up waiting for e-RS (504 PAS_NOT_RESPONDING): e-RS may still finish.
        if (idempotent) {
            return retriable({code, textOr(issue, "gateway timeout")}, issueDetail, true,
                             parseRetryAfter(response));
        }
        return outcomeUnknown(detail, issueDetail);
    case 409:
    case 423:
        return permanent({code, textOr(issue, status == 409 ? "version conflict" : "locked")},
                         issueDetail);
    case 400:
    case 403:
    case 404:
    case 422:
        return permanent({issue.code.empty() ? code : issue.code, textOr(issue, detail)},
                         issueDetail);
    default:
        break;
    }
    if (status >= 500 && status < 600) {
        return retriable({code, textOr(issue, "server error")}, issueDetail, true,
                         parseRetryAfter(response));
    }
    return permanent({code, textOr(issue, detail)}, issueDetail);
}

} // namespace gp::agent
