#include "ErsFhir.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace gp::mock::ersfhir {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::string_view kProfileBase = "https://fhir.nhs.uk/STU3/StructureDefinition/";
constexpr std::string_view kPrioritySystem = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1";

struct ErrorCode {
    std::string_view code;
    std::string_view issueCode;
    std::string_view display;
};

// The FHIR issue type and display that go with each e-RS code the mock answers with.
constexpr ErrorCode kErrorCodes[] = {
    {"MISSING_VALUE", "required", "Missing value"},
    {"INVALID_VALUE", "value", "Invalid value"},
    {"ACCESS_DENIED", "login", "Access denied"},
    {"NO_ACCESS", "forbidden", "No access"},
    {"FORBIDDEN", "forbidden", "Forbidden"},
    {"REFERENCE_NOT_FOUND", "not-found", "Reference not found"},
    {"CONFLICT", "conflict", "Version conflict"},
    {"UNSUPPORTED_MEDIA_TYPE", "not-supported", "Unsupported media type"},
    {"METHOD_NOT_ALLOWED", "not-supported", "Method not allowed"},
    {"INVALID_FHIR_STRUCTURE", "structure", "Invalid FHIR structure"},
    {"TOO_MANY_ITEMS", "value", "Too many items"},
    {"DUPLICATE_SERVICE", "duplicate", "Duplicate service"},
    {"DUPLICATE_FILENAME", "duplicate", "Duplicate file"},
    {"INVALID_CODE", "code-invalid", "Invalid code"},
    {"INAPPROPRIATE_VALUE", "business-rule", "Inappropriate value"},
    {"NO_CHANGES_DETECTED", "business-rule", "No changes detected"},
    {"INVALID_REQUEST_STATE", "business-rule", "Invalid request state"},
    {"FILE_SIZE_ERROR", "value", "File size error"},
    {"LOCKED", "lock-error", "Resource is locked"},
    {"TOO_MANY_REQUESTS", "throttled", "Too many requests"},
    {"SERVICE_UNAVAILABLE", "transient", "Service unavailable"},
    {"PAS_NOT_RESPONDING", "timeout", "PAS not responding"},
    {"REQUEST_FAILED", "processing", "Request failed"},
    {"INTERNAL_SERVER_ERROR", "exception", "Internal server error"},
};

Object::Ptr newObject() {
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

Object::Ptr meta(std::string_view profile, int version = 0) {
    Object::Ptr meta = newObject();
    if (version > 0) {
        meta->set("versionId", std::to_string(version));
    }
    Array::Ptr profiles = new Array;
    profiles->add(std::string(kProfileBase) + std::string(profile));
    meta->set("profile", profiles);
    return meta;
}

Object::Ptr coding(std::string_view system, const std::string& code,
                   std::string_view display = {}) {
    Object::Ptr coding = newObject();
    if (!system.empty()) {
        coding->set("system", std::string(system));
    }
    coding->set("code", code);
    if (!display.empty()) {
        coding->set("display", std::string(display));
    }
    return coding;
}

Object::Ptr codeableConcept(Object::Ptr single) {
    Object::Ptr codeable = newObject();
    Array::Ptr codings = new Array;
    codings->add(single);
    codeable->set("coding", codings);
    return codeable;
}

Object::Ptr identifier(std::string_view system, const std::string& value) {
    Object::Ptr identifier = newObject();
    identifier->set("system", std::string(system));
    identifier->set("value", value);
    return identifier;
}

Object::Ptr extension(const std::string& url) {
    Object::Ptr extension = newObject();
    extension->set("url", url);
    return extension;
}

std::string priorityDisplay(const std::string& code) {
    if (code == "URGENT") {
        return "Urgent";
    }
    if (code == "TWO_WEEK_WAIT") {
        return "2 Week Wait";
    }
    return "Routine";
}

std::string upperCamel(std::string_view listType) {
    // LETTERS_OUTSTANDING -> LettersOutstanding, for the worklist item extension's URL.
    std::string name;
    bool upper = true;
    for (char c : listType) {
        if (c == '_') {
            upper = true;
            continue;
        }
        const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        name +=
            upper && lower >= 'a' && lower <= 'z' ? static_cast<char>(lower - 'a' + 'A') : lower;
        upper = false;
    }
    return name;
}

} // namespace

std::string stringify(const Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

std::string operationOutcome(std::string_view code, std::string_view diagnostics) {
    std::string_view issueCode = "processing";
    std::string_view display = code;
    for (const auto& known : kErrorCodes) {
        if (known.code == code) {
            issueCode = known.issueCode;
            display = known.display;
        }
    }
    const std::string_view system = code == "TOO_MANY_REQUESTS" ? kApimErrorSystem : kErrorSystem;
    Object::Ptr issue = newObject();
    issue->set("severity", std::string("error"));
    issue->set("code", std::string(issueCode));
    issue->set("details", codeableConcept(coding(system, std::string(code), display)));
    issue->set("diagnostics", std::string(diagnostics));
    Array::Ptr issues = new Array;
    issues->add(issue);
    Object outcome(Poco::JSON_PRESERVE_KEY_ORDER);
    outcome.set("resourceType", std::string("OperationOutcome"));
    outcome.set("meta", meta("eRS-OperationOutcome-1"));
    outcome.set("issue", issues);
    return stringify(outcome);
}

std::string referralRequest(const ErsReferral& referral, const ErsDirectory& directory,
                            const std::vector<ErsBinary>& attachments) {
    Object resource(Poco::JSON_PRESERVE_KEY_ORDER);
    resource.set("resourceType", std::string("ReferralRequest"));
    resource.set("id", referral.ubrn);
    resource.set("meta", meta("eRS-ReferralRequest-1", referral.version));

    Array::Ptr extensions = new Array;
    Object::Ptr priority =
        extension(std::string(kProfileBase) + "Extension-eRS-ReferralPriority-1");
    priority->set("valueCodeableConcept",
                  codeableConcept(coding(kPrioritySystem, referral.priority,
                                         priorityDisplay(referral.priority))));
    extensions->add(priority);
    Object::Ptr shortlistLink =
        extension(std::string(kProfileBase) + "Extension-eRS-ReferralShortlist-1");
    Object::Ptr reference = newObject();
    reference->set("reference", std::string("#shortlist"));
    shortlistLink->set("valueReference", reference);
    extensions->add(shortlistLink);
    resource.set("extension", extensions);

    Array::Ptr contained = new Array;
    Object::Ptr shortlist = newObject();
    shortlist->set("resourceType", std::string("List"));
    shortlist->set("id", std::string("shortlist"));
    shortlist->set("meta", meta("eRS-Shortlist-List-1"));
    shortlist->set("status", std::string("current"));
    shortlist->set("mode", std::string("snapshot"));
    Array::Ptr entries = new Array;
    for (const auto& serviceId : referral.services) {
        Object::Ptr item = newObject();
        item->set("identifier", identifier(kServiceSystem, serviceId));
        if (const ErsService* service = directory.find(serviceId)) {
            item->set("display", service->name);
        }
        Object::Ptr entry = newObject();
        entry->set("item", item);
        entries->add(entry);
    }
    shortlist->set("entry", entries);
    contained->add(shortlist);

    Array::Ptr supportingInfo = new Array;
    for (const auto& binary : attachments) {
        const std::string documentId = "DocumentReference-" + binary.id;
        Object::Ptr document = newObject();
        document->set("resourceType", std::string("DocumentReference"));
        document->set("id", documentId);
        document->set("meta", meta("eRS-DocumentReference-1"));
        document->set("status", std::string("current"));
        document->set("type", codeableConcept(
                                  coding("https://fhir.nhs.uk/STU3/CodeSystem/eRS-AttachmentType-1",
                                         "REFERRER", "Referrer")));
        Object::Ptr attachment = newObject();
        attachment->set("id", binary.id);
        attachment->set("contentType", binary.contentType);
        attachment->set("url", "Binary/" + binary.id);
        attachment->set("size", binary.size);
        attachment->set("title", binary.fileName);
        Object::Ptr content = newObject();
        content->set("attachment", attachment);
        Array::Ptr contents = new Array;
        contents->add(content);
        document->set("content", contents);
        contained->add(document);
        Object::Ptr info = newObject();
        info->set("reference", "#" + documentId);
        supportingInfo->add(info);
    }
    resource.set("contained", contained);
    resource.set("status", referral.status);
    resource.set("intent", std::string("plan"));
    resource.set("authoredOn", referral.createdAt);
    Object::Ptr subject = newObject();
    subject->set("identifier", identifier(kNhsNumberSystem, referral.nhsNumber));
    resource.set("subject", subject);
    resource.set("supportingInfo", supportingInfo);
    return stringify(resource);
}

std::string serviceList(const std::vector<const ErsService*>& services) {
    Object list(Poco::JSON_PRESERVE_KEY_ORDER);
    list.set("resourceType", std::string("List"));
    list.set("meta", meta("eRS-FetchServices-List-1"));
    list.set("status", std::string("current"));
    list.set("mode", std::string("snapshot"));
    Array::Ptr entries = new Array;
    for (const ErsService* service : services) {
        Object::Ptr name = extension("serviceName");
        name->set("valueString", service->name);
        Object::Ptr specialty = extension("specialty");
        specialty->set("valueCodeableConcept", codeableConcept(coding({}, service->specialty)));
        Array::Ptr details = new Array;
        details->add(name);
        details->add(specialty);
        Object::Ptr summary =
            extension(std::string(kProfileBase) + "Extension-eRS-ServiceSummaryView-1");
        summary->set("extension", details);
        Array::Ptr itemExtensions = new Array;
        itemExtensions->add(summary);
        Object::Ptr item = newObject();
        item->set("identifier", identifier(kServiceSystem, service->id));
        item->set("display", service->name);
        item->set("extension", itemExtensions);
        Object::Ptr entry = newObject();
        entry->set("item", item);
        entries->add(entry);
    }
    list.set("entry", entries);
    return stringify(list);
}

std::string worklist(const std::vector<ErsReferral>& referrals, std::string_view listType) {
    Object list(Poco::JSON_PRESERVE_KEY_ORDER);
    list.set("resourceType", std::string("List"));
    list.set("meta", meta("eRS-FetchWorklist-List-1"));
    list.set("status", std::string("current"));
    list.set("mode", std::string("snapshot"));
    const std::string itemUrl =
        std::string(kProfileBase) + "Extension-eRS-" + upperCamel(listType) + "-WorkListItem-1";
    Array::Ptr entries = new Array;
    for (const auto& referral : referrals) {
        Array::Ptr details = new Array;
        Object::Ptr patient = extension("patient");
        Object::Ptr patientReference = newObject();
        patientReference->set("identifier", identifier(kNhsNumberSystem, referral.nhsNumber));
        patient->set("valueReference", patientReference);
        details->add(patient);
        Object::Ptr priority = extension("priority");
        priority->set("valueCodeableConcept",
                      codeableConcept(coding(kPrioritySystem, referral.priority)));
        details->add(priority);
        Object::Ptr created = extension("referralCreated");
        created->set("valueDateTime", referral.createdAt);
        details->add(created);
        Object::Ptr updated = extension("referralLastUpdated");
        updated->set("valueDateTime", referral.updatedAt);
        details->add(updated);
        Object::Ptr status = extension("status");
        status->set(
            "valueCodeableConcept",
            codeableConcept(coding("https://fhir.nhs.uk/STU3/CodeSystem/eRS-ReferralState-1",
                                   referral.status == "cancelled" ? "CANCELLED" : "ACTIVE")));
        details->add(status);
        Object::Ptr item = extension(itemUrl);
        item->set("extension", details);
        Array::Ptr entryExtensions = new Array;
        entryExtensions->add(item);
        if (!referral.correlationId.empty()) {
            Object::Ptr correlation = extension(std::string(kCorrelationExtension));
            correlation->set("valueString", referral.correlationId);
            entryExtensions->add(correlation);
        }
        Object::Ptr reference = newObject();
        reference->set("reference", "ReferralRequest/" + referral.ubrn);
        Object::Ptr entry = newObject();
        entry->set("extension", entryExtensions);
        entry->set("item", reference);
        entries->add(entry);
    }
    list.set("entry", entries);
    return stringify(list);
}

bool isValidNhsNumber(std::string_view nhsNumber) {
    if (nhsNumber.size() != 10) {
        return false;
    }
    int sum = 0;
    for (std::size_t i = 0; i < 10; ++i) {
        if (nhsNumber[i] < '0' || nhsNumber[i] > '9') {
            return false;
        }
        if (i < 9) {
            sum += (nhsNumber[i] - '0') * static_cast<int>(10 - i);
        }
    }
    int check = 11 - sum % 11;
    if (check == 11) {
        check = 0;
    }
    return check != 10 && check == nhsNumber[9] - '0';
}

Result<Object::Ptr> parseParameters(const std::string& body) {
    Poco::Dynamic::Var parsed;
    try {
        Poco::JSON::Parser parser;
        parsed = parser.parse(body);
    } catch (const Poco::Exception& error) {
        return failure("body", "is not valid JSON: " + error.message());
    }
    if (parsed.type() != typeid(Object::Ptr)) {
        return failure("body", "must be a JSON object");
    }
    auto resource = parsed.extract<Object::Ptr>();
    if (stringAt(resource, "resourceType") != "Parameters") {
        return failure("resourceType", "must be Parameters");
    }
    if (resource->has("parameter") && !arrayAt(resource, "parameter")) {
        return failure("parameter", "must be an array");
    }
    return resource;
}

std::vector<Object::Ptr> parametersNamed(const Object::Ptr& resource, std::string_view name) {
    std::vector<Object::Ptr> found;
    const auto all = arrayAt(resource, "parameter");
    if (!all) {
        return found;
    }
    for (unsigned i = 0; i < all->size(); ++i) {
        auto parameter = objectIn(all, i);
        if (parameter && stringAt(parameter, "name") == name) {
            found.push_back(parameter);
        }
    }
    return found;
}

Object::Ptr objectAt(const Object::Ptr& object, const std::string& key) {
    if (!object || !object->has(key)) {
        return nullptr;
    }
    const auto value = object->get(key);
    return value.type() == typeid(Object::Ptr) ? value.extract<Object::Ptr>() : nullptr;
}

Array::Ptr arrayAt(const Object::Ptr& object, const std::string& key) {
    if (!object || !object->has(key)) {
        return nullptr;
    }
    const auto value = object->get(key);
    return value.type() == typeid(Array::Ptr) ? value.extract<Array::Ptr>() : nullptr;
}

Object::Ptr objectIn(const Array::Ptr& array, unsigned index) {
    if (!array || index >= array->size()) {
        return nullptr;
    }
    const auto value = array->get(index);
    return value.type() == typeid(Object::Ptr) ? value.extract<Object::Ptr>() : nullptr;
}

std::string stringAt(const Object::Ptr& object, const std::string& key) {
    if (!object || !object->has(key)) {
        return {};
    }
    const auto value = object->get(key);
    return value.isString() ? value.convert<std::string>() : std::string();
}

std::string codeOf(const Object::Ptr& parameter) {
    if (auto coding = objectAt(parameter, "valueCoding")) {
        return stringAt(coding, "code");
    }
    if (auto codeable = objectAt(parameter, "valueCodeableConcept")) {
        return stringAt(objectIn(arrayAt(codeable, "coding"), 0), "code");
    }
    return {};
}

} // namespace gp::mock::ersfhir
