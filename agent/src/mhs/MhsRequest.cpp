#include "MhsRequest.hpp"

#include "../api/RequestBodies.hpp"

#include <gp/messaging/eps/Cancellation.hpp>
#include <gp/messaging/eps/ParentPrescription.hpp>
#include <gp/messaging/ids/Identifiers.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace gp::agent::mhs {

namespace {

namespace eps = messaging::eps;

// What gp-agent already knows how to send and follow: the EPS interactions. Others (GP2GP,
// PDS, SCR) are refused with 404, as the adaptor refuses an interaction it has no entry for.
constexpr std::array kInteractions = {
    MhsInteraction{eps::kParentPrescriptionInteraction, "EPS parent prescription"},
    MhsInteraction{eps::kCancellationRequestInteraction, "EPS cancellation request"},
};

MhsRejection badRequest(std::string message) {
    return {400, std::move(message)};
}

std::string upperCase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
}

/// The caller's id upper-cased (the outbox keys on upper-case UUIDs), or a new one.
std::variant<std::string, MhsRejection> idFrom(const std::optional<std::string>& header,
                                               std::string_view name,
                                               messaging::ids::RandomSource& random) {
    if (!header) {
        return messaging::ids::newUuid(random);
    }
    std::string id = upperCase(*header);
    if (!messaging::ids::isUpperCaseUuid(id)) {
        return badRequest("header " + std::string(name) + " must be a UUID, not '" + *header + "'");
    }
    return id;
}

/// True when the array is absent, null or empty.
bool noneIn(const Poco::JSON::Object::Ptr& body, const std::string& field) {
    if (!body->has(field) || body->isNull(field)) {
        return true;
    }
    const auto array = body->getArray(field);
    return array && array->size() == 0;
}

} // namespace

const MhsInteraction* findMhsInteraction(std::string_view interactionId) {
    for (const auto& each : kInteractions) {
        if (each.interactionId == interactionId) {
            return &each;
        }
    }
    return nullptr;
}

std::variant<MhsRequest, MhsRejection> readMhsRequest(const MhsHeaders& headers,
                                                      std::string_view body,
                                                      messaging::ids::RandomSource& random) {
    if (!headers.interactionId || headers.interactionId->empty()) {
        return badRequest("header Interaction-Id is required");
    }
    MhsRequest request;
    request.interaction = findMhsInteraction(*headers.interactionId);
    if (request.interaction == nullptr) {
        return MhsRejection{404, "header Interaction-Id: '" + *headers.interactionId +
                                     "' is not an interaction gp-agent sends (docs/mhs-compat.md)"};
    }
    if (!headers.waitForResponse) {
        return badRequest("header wait-for-response is required (true or false)");
    }
    if (*headers.waitForResponse != "false") {
        if (*headers.waitForResponse == "true") {
            return badRequest("header wait-for-response: gp-agent sends " +
                              std::string(request.interaction->interactionId) +
                              " asynchronously only; send false and follow the message by its "
                              "Message-Id");
        }
        return badRequest("header wait-for-response must be true or false, not '" +
                          *headers.waitForResponse + "'");
    }

    auto messageId = idFrom(headers.messageId, "Message-Id", random);
    if (auto* rejected = std::get_if<MhsRejection>(&messageId)) {
        return *rejected;
    }
    auto correlationId = idFrom(headers.correlationId, "Correlation-Id", random);
    if (auto* rejected = std::get_if<MhsRejection>(&correlationId)) {
        return *rejected;
    }
    request.messageId = std::get<std::string>(std::move(messageId));
    request.correlationId = std::get<std::string>(std::move(correlationId));

    const auto json = api::parseJsonObject(body);
    if (!json) {
        return badRequest("body must be a JSON object with a payload field");
    }
    if (!json->has("payload") || json->isNull("payload") || !json->get("payload").isString()) {
        return badRequest("field payload is required: the HL7 XML as a string");
    }
    for (const char* field : {"attachments", "external_attachments"}) {
        if (!noneIn(json, field)) {
            return badRequest("field " + std::string(field) + ": gp-agent sends " +
                              std::string(request.interaction->interactionId) +
                              " without attachments; send an empty list or none");
        }
    }
    request.payload = json->getValue<std::string>("payload");
    auto parsed = messaging::xml::parse(request.payload, {kMaxMhsPayloadBytes});
    if (!parsed) {
        return badRequest("field payload is not well-formed XML: " + parsed.error().describe());
    }
    if (parsed->rootName() != request.interaction->interactionId) {
        return badRequest("field payload: its root element is " + parsed->rootName() +
                          ", not the Interaction-Id " +
                          std::string(request.interaction->interactionId));
    }
    return request;
}

} // namespace gp::agent::mhs
