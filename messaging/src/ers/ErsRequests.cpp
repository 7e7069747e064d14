#include "FhirJson.hpp"

#include <gp/messaging/ers/ErsRequests.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <algorithm>
#include <cctype>

namespace gp::messaging::ers {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::string_view kProfileBase = "https://fhir.nhs.uk/STU3/StructureDefinition/";
constexpr std::string_view kCodeSystemBase = "https://fhir.nhs.uk/STU3/CodeSystem/";
// e-RS publishes these two code systems under the API's own base URL.
constexpr std::string_view kDefaultSpecialtySystem =
    "https://api.service.nhs.uk/referrals/FHIR/STU3/CodeSystem/SPECIALTY";
constexpr std::string_view kDefaultCancellationSystem =
    "https://api.service.nhs.uk/referrals/FHIR/STU3/CodeSystem/REFERRAL-CANCELLATION-REASON";

Object::Ptr newObject() {
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

std::string profile(std::string_view name) {
    return std::string(kProfileBase) + std::string(name);
}

std::string codeSystem(std::string_view name) {
    return std::string(kCodeSystemBase) + std::string(name);
}

Object::Ptr parameters(std::string_view profileName) {
    Object::Ptr out = newObject();
    out->set("resourceType", "Parameters");
    out->set("meta", json::metaWithProfile(profile(profileName)));
    out->set("parameter", Array::Ptr(new Array));
    return out;
}

Object::Ptr namedParameter(const Object::Ptr& params, std::string_view name) {
    Object::Ptr parameter = newObject();
    parameter->set("name", std::string(name));
    params->getArray("parameter")->add(parameter);
    return parameter;
}

void addIdentifier(const Object::Ptr& params, std::string_view name, std::string_view system,
                   std::string_view value) {
    namedParameter(params, name)->set("valueIdentifier", json::identifier(system, value));
}

void addCoding(const Object::Ptr& params, std::string_view name, std::string_view system,
               std::string_view code) {
    namedParameter(params, name)->set("valueCoding", json::coding(system, code));
}

bool allDigits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
}

Status checkPriority(std::string_view priority) {
    if (priority != "ROUTINE" && priority != "URGENT" && priority != "TWO_WEEK_WAIT") {
        return failure("priority", "must be ROUTINE, URGENT or TWO_WEEK_WAIT");
    }
    return success();
}

Status checkNhs(std::string_view nhsNumber) {
    if (auto checked = ids::checkNhsNumber(nhsNumber); !checked) {
        return failure("nhsNumber", checked.error().message);
    }
    return success();
}

FhirRequest post(std::string path, const Object::Ptr& body) {
    FhirRequest request;
    request.method = "POST";
    request.path = std::move(path);
    request.contentType = std::string(kFhirJson);
    request.body = json::write(body);
    return request;
}

Object::Ptr searchCriteria(std::string_view priority, std::string_view specialty,
                           std::string_view specialtySystem) {
    Object::Ptr criteria = parameters("eRS-ServiceSearchCriteria-Parameters-1");
    addCoding(criteria, "priority", codeSystem("eRS-Priority-1"), priority);
    if (!specialty.empty()) {
        addCoding(criteria, "specialty",
                  specialtySystem.empty() ? kDefaultSpecialtySystem : specialtySystem, specialty);
    }
    addCoding(criteria, "commissioningProvisioning", codeSystem("eRS-CommissioningProvisioning-1"),
              "ALL_AVAILABLE_FOR_BOOKING");
    return criteria;
}

} // namespace

Status checkUbrn(std::string_view ubrn) {
    if (ubrn.size() != 12 || !allDigits(ubrn)) {
        return failure("ubrn", "must be 12 digits");
    }
    return success();
}

Status checkServiceId(std::string_view serviceId) {
    if (serviceId.size() > 20 || !allDigits(serviceId)) {
        return failure("serviceId", "must be 1 to 20 digits");
    }
    return success();
}

Result<FhirRequest> buildServiceSearch(const ServiceSearch& search) {
    if (auto checked = checkNhs(search.nhsNumber); !checked) {
        return checked.error();
    }
    if (auto checked = checkPriority(search.priority); !checked) {
        return checked.error();
    }
    Object::Ptr body = parameters("eRS-PatientServiceSearch-Parameters-1");
    addCoding(body, "requestType", codeSystem("eRS-RequestType-1"), "APPOINTMENT_REQUEST");
    addIdentifier(body, "patient", kNhsNumberSystem, search.nhsNumber);
    namedParameter(body, "searchCriteria")
        ->set("resource",
              searchCriteria(search.priority, search.specialty, search.specialtySystem));
    return post("/HealthcareService/$ers.searchHealthcareServicesForPatient", body);
}

Result<FhirRequest> buildCreateReferral(const CreateReferral& referral) {
    if (auto checked = checkNhs(referral.nhsNumber); !checked) {
        return checked.error();
    }
    if (referral.serviceIds.empty() || referral.serviceIds.size() > kMaxShortlist) {
        return failure("serviceIds", "must list 1 to " + std::to_string(kMaxShortlist) +
                                         " services, not " +
                                         std::to_string(referral.serviceIds.size()));
    }
    for (std::size_t i = 0; i < referral.serviceIds.size(); ++i) {
        if (auto checked = checkServiceId(referral.serviceIds[i]); !checked) {
            return failure("serviceIds[" + std::to_string(i) + "]", checked.error().message);
        }
        const auto first = std::find(referral.serviceIds.begin(), referral.serviceIds.end(),
                                     referral.serviceIds[i]);
        if (first != referral.serviceIds.begin() + static_cast<std::ptrdiff_t>(i)) {
            return failure("serviceIds[" + std::to_string(i) + "]", "is listed twice");
        }
    }
    if (auto checked = checkPriority(referral.priority); !checked) {
        return checked.error();
    }

    Object::Ptr body = parameters("eRS-CreateReferral-Parameters-1");
    addIdentifier(body, "patient", kNhsNumberSystem, referral.nhsNumber);
    addCoding(body, "intentionToAddReferralLetter", codeSystem("eRS-ReferralLetterIntention-1"),
              referral.letterToFollow ? "NEED_TO_ADD_LATER" : "NO_REFERRAL_LETTER");

    // The shortlist is a List with its search criteria contained and referenced by extension.
    Object::Ptr criteria = searchCriteria(referral.priority, "", "");
    criteria->set("id", "ServiceSearchCriteria-1");
    Object::Ptr shortlist = newObject();
    shortlist->set("resourceType", "List");
    shortlist->set("meta", json::metaWithProfile(profile("eRS-Shortlist-List-1")));
    Array::Ptr contained = new Array;
    contained->add(criteria);
    shortlist->set("contained", contained);
    Object::Ptr criteriaReference = newObject();
    criteriaReference->set("reference", "#ServiceSearchCriteria-1");
    Object::Ptr extension = newObject();
    extension->set("url", profile("Extension-eRS-Shortlist-SearchCriteria-1"));
    extension->set("valueReference", criteriaReference);
    Array::Ptr extensions = new Array;
    extensions->add(extension);
    shortlist->set("extension", extensions);
    shortlist->set("status", "current");
    shortlist->set("mode", "snapshot");
    Array::Ptr entries = new Array;
    for (const auto& serviceId : referral.serviceIds) {
        Object::Ptr item = newObject();
        item->set("identifier", json::identifier(kServiceSystem, serviceId));
        Object::Ptr entry = newObject();
        entry->set("item", item);
        entries->add(entry);
    }
    shortlist->set("entry", entries);
    namedParameter(body, "shortlist")->set("resource", shortlist);
    return post("/ReferralRequest/$ers.createReferral", body);
}

Result<FhirRequest> buildGetReferral(std::string_view ubrn) {
    if (auto checked = checkUbrn(ubrn); !checked) {
        return checked.error();
    }
    FhirRequest request;
    request.method = "GET";
    request.path = "/ReferralRequest/" + std::string(ubrn);
    return request;
}

Result<FhirRequest> buildUploadAttachment(std::string_view contentType) {
    if (contentType.empty() || contentType.find('/') == std::string_view::npos ||
        contentType.find_first_of("\r\n") != std::string_view::npos) {
        return failure("contentType", "must be a media type such as application/pdf");
    }
    FhirRequest request;
    request.method = "POST";
    request.path = "/Binary";
    request.contentType = std::string(contentType);
    return request;
}

Result<FhirRequest> buildMaintainReferralLetter(const ReferralLetter& letter) {
    if (auto checked = checkUbrn(letter.ubrn); !checked) {
        return checked.error();
    }
    if (letter.binaryUrl.empty()) {
        return failure("binaryUrl", "is required");
    }
    if (letter.contentType.empty()) {
        return failure("contentType", "is required");
    }
    Object::Ptr attachment = newObject();
    attachment->set("contentType", letter.contentType);
    attachment->set("url", letter.binaryUrl);
    if (letter.size > 0) {
        attachment->set("size", static_cast<Poco::UInt64>(letter.size));
    }
    if (!letter.title.empty()) {
        attachment->set("title", letter.title);
    }
    Object::Ptr content = newObject();
    content->set("attachment", attachment);
    Array::Ptr contents = new Array;
    contents->add(content);

    Object::Ptr type = newObject();
    Array::Ptr codings = new Array;
    codings->add(json::coding(codeSystem("eRS-AttachmentType-1"), "REFERRER"));
    type->set("coding", codings);

    Object::Ptr document = newObject();
    document->set("resourceType", "DocumentReference");
    document->set("meta", json::metaWithProfile(profile("eRS-DocumentReference-1")));
    document->set("type", type);
    document->set("status", "current");
    if (!letter.indexedAt.empty()) {
        document->set("indexed", letter.indexedAt);
    }
    if (!letter.description.empty()) {
        document->set("description", letter.description);
    }
    document->set("content", contents);

    Object::Ptr body = parameters("eRS-MaintainReferralLetter-Parameters-1");
    namedParameter(body, "referralLetterFile")->set("resource", document);
    return post("/ReferralRequest/" + letter.ubrn + "/$ers.maintainReferralLetter", body);
}

Result<FhirRequest> buildCancelReferral(const CancelReferral& cancel) {
    if (auto checked = checkUbrn(cancel.ubrn); !checked) {
        return checked.error();
    }
    if (cancel.reasonCode.empty()) {
        return failure("reasonCode", "is required");
    }
    Object::Ptr body = parameters("eRS-CancelReferral-Request-Parameters-1");
    addCoding(body, "cancellationReason",
              cancel.reasonSystem.empty() ? kDefaultCancellationSystem : cancel.reasonSystem,
              cancel.reasonCode);
    if (!cancel.comments.empty()) {
        namedParameter(body, "cancellationComments")->set("valueString", cancel.comments);
    }
    return post("/ReferralRequest/" + cancel.ubrn + "/$ers.cancelReferral", body);
}

FhirRequest buildFetchWorklist(std::string_view listType) {
    Object::Ptr body = parameters("eRS-FetchWorklist-Parameters-1");
    Object::Ptr codeable = newObject();
    Array::Ptr codings = new Array;
    codings->add(json::coding(codeSystem("eRS-ReferralListSelector-1"), listType));
    codeable->set("coding", codings);
    namedParameter(body, "listType")->set("valueCodeableConcept", codeable);
    return post("/ReferralRequest/$ers.fetchworklist", body);
}

std::string ifMatch(std::string_view version) {
    return "W/\"" + std::string(version) + "\"";
}

} // namespace gp::messaging::ers
