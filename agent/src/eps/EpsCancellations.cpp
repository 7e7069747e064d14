#include "EpsOutbound.hpp"
#include "PrescriberJson.hpp"

#include <gp/agent/eps/EpsCancellations.hpp>
#include <gp/messaging/eps/Cancellation.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>

namespace gp::agent {

namespace {

namespace eps = messaging::eps;
namespace ids = messaging::ids;

/// The request's fields; each missing or mistyped one is an error naming it.
struct CancellationJson {
    std::string prescriptionId;
    std::string lineItemId;
    std::string reason;
    std::string nhsNumber;
    Poco::JSON::Object::Ptr prescriber;
    Poco::JSON::Object::Ptr organisation;
    std::vector<Error> errors;
};

std::string textField(const Poco::JSON::Object& top, const std::string& name, bool required,
                      std::vector<Error>& errors) {
    if (!top.has(name) || top.get(name).isEmpty()) {
        if (required) {
            errors.push_back(Error{name, "is required"});
        }
        return {};
    }
    const Poco::Dynamic::Var value = top.get(name);
    if (!value.isString()) {
        errors.push_back(Error{name, "must be a string"});
        return {};
    }
    return value.convert<std::string>();
}

Poco::JSON::Object::Ptr objectField(const Poco::JSON::Object& top, const std::string& name,
                                    std::vector<Error>& errors) {
    if (!top.has(name) || top.get(name).isEmpty()) {
        return nullptr;
    }
    if (top.get(name).type() != typeid(Poco::JSON::Object::Ptr)) {
        errors.push_back(Error{name, "must be an object"});
        return nullptr;
    }
    return top.getObject(name);
}

CancellationJson readJson(std::string_view json) {
    CancellationJson out;
    Poco::JSON::Object::Ptr top;
    try {
        Poco::JSON::Parser parser;
        const auto parsed = parser.parse(std::string(json));
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
            out.errors.push_back(Error{"", "the body must be a JSON object"});
            return out;
        }
        top = parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        out.errors.push_back(Error{"", "the body is not valid JSON: " + e.message()});
        return out;
    }
    out.prescriptionId = textField(*top, "prescriptionId", true, out.errors);
    out.lineItemId = textField(*top, "lineItemId", true, out.errors);
    out.reason = textField(*top, "reason", true, out.errors);
    out.nhsNumber = textField(*top, "nhsNumber", false, out.errors);
    out.prescriber = objectField(*top, "prescriber", out.errors);
    out.organisation = objectField(*top, "organisation", out.errors);
    return out;
}

std::string upperCased(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
}

} // namespace

EpsCancellations::EpsCancellations(Store& store, const Clock& clock,
                                   messaging::ids::RandomSource& random, EpsRouting routing)
    : m_store(store), m_clock(clock), m_random(random), m_routing(std::move(routing)) {}

CancellationResult EpsCancellations::cancel(std::string_view json, const std::string& actor) {
    return cancelAs(json, actor, m_routing);
}

CancellationResult EpsCancellations::cancel(std::string_view json, const std::string& actor,
                                            const Practice& practice) {
    return cancelAs(json, actor, m_routing.forPractice(practice));
}

CancellationResult EpsCancellations::cancelAs(std::string_view json, const std::string& actor,
                                              const EpsRouting& routing) {
    CancellationResult result;
    CancellationJson input = readJson(json);
    if (!input.errors.empty() && input.errors.front().where.empty()) {
        result.errors = std::move(input.errors);
        return result;
    }

    eps::CancellationRequest request;
    request.prescriptionId = input.prescriptionId;
    // Line item ids are UUIDs; Spine compares them as sent, which is upper case.
    request.lineItemId = upperCased(input.lineItemId);
    request.reasonCode = input.reason;

    // What this agent knows of the prescription: its long id, patient, prescriber and items.
    std::optional<EpsPrescription> known;
    if (ids::checkPrescriptionId(request.prescriptionId)) {
        known = m_store.findPrescription(request.prescriptionId);
    }
    const bool sentFromHere = known && !known->messageId.empty();
    PrescriberRecord defaults;
    if (known) {
        defaults = readPrescriberJson(known->prescriberJson);
        request.prescriptionUuid = known->prescriptionUuid;
        request.nhsNumber = known->nhsNumber;
    }
    request.prescriber = defaults.prescriber;
    request.organisation = defaults.organisation;
    if (input.prescriber) {
        readPrescriberObject(*input.prescriber, "prescriber", request.prescriber, input.errors);
    } else if (!sentFromHere) {
        input.errors.push_back(
            Error{"prescriber", "is required when the prescription was not sent from this agent"});
    }
    if (input.organisation) {
        readOrganisationObject(*input.organisation, "organisation", request.organisation,
                               input.errors);
    }
    if (request.organisation.odsCode.empty()) {
        request.organisation.odsCode = routing.practiceOdsCode;
    }
    if (!input.nhsNumber.empty()) {
        request.nhsNumber = input.nhsNumber;
    } else if (request.nhsNumber.empty() && !sentFromHere) {
        input.errors.push_back(
            Error{"nhsNumber", "is required when the prescription was not sent from this agent"});
    }
    // A prescription is cancelled by the practice that sent it ("" is a row stored before
    // practices existed: the default practice's).
    if (sentFromHere) {
        const auto sent = m_store.findMessage(known->messageId);
        if (sent && !sent->practice.empty() &&
            !sameOdsCode(sent->practice, routing.practiceOdsCode)) {
            input.errors.push_back(Error{
                "practice", "prescription " + request.prescriptionId + " was sent for practice " +
                                sent->practice + ", not " + routing.practiceOdsCode});
        }
    }
    if (sentFromHere && ids::isUpperCaseUuid(request.lineItemId)) {
        const auto items = m_store.itemsOf(request.prescriptionId);
        const bool ofThisPrescription =
            std::any_of(items.begin(), items.end(),
                        [&](const EpsItem& item) { return item.lineItemId == request.lineItemId; });
        if (!ofThisPrescription) {
            input.errors.push_back(
                Error{"lineItemId", "is not an item of prescription " + request.prescriptionId});
        }
    }

    const TimePoint now = m_clock.now();
    request.cancellationId = ids::newUuid(m_random);
    request.effectiveTime = toSeconds(now);
    mergeErrors(input.errors, eps::validate(request));
    if (!input.errors.empty()) {
        result.errors = std::move(input.errors);
        return result;
    }

    const std::string messageId = ids::newUuid(m_random);
    const std::string conversationId = ids::newUuid(m_random);
    const OutboundMessage outbound =
        epsOutbound(routing,
                    {eps::kCancellationRequestInteraction, messageId, conversationId,
                     request.prescriptionId, now},
                    eps::buildCancellationRequest(
                        request, {messageId, toSeconds(now), routing.fromAsid, routing.spineAsid}));

    EpsItem item;
    item.prescriptionId = request.prescriptionId;
    item.lineItemId = request.lineItemId;
    item.state = "cancel-requested";
    item.cancelMessageId = messageId;
    item.cancelReason = request.reasonCode;
    const AuditEvent event{actor, "accepted", messageId,
                           "EPS cancellation of prescription " + request.prescriptionId + " item " +
                               request.lineItemId + ", reason " + request.reasonCode +
                               ", practice " + routing.practiceOdsCode,
                           request.nhsNumber};
    if (auto stored = m_store.recordCancellation(item, request.nhsNumber, outbound, event);
        !stored) {
        result.kind = CancellationResult::Kind::NotStored;
        result.errors.push_back(stored.error());
        return result;
    }
    result.kind = CancellationResult::Kind::Accepted;
    result.messageId = messageId;
    result.prescriptionId = request.prescriptionId;
    result.lineItemId = request.lineItemId;
    return result;
}

} // namespace gp::agent
