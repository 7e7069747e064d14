#include "FhirJson.hpp"

#include <gp/messaging/ers/ErsRequests.hpp>
#include <gp/messaging/ers/ErsResources.hpp>

namespace gp::messaging::ers {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// A reference such as "#shortlist" names a contained resource by its id.
Object::Ptr containedById(const Object::Ptr& resource, std::string_view reference) {
    if (reference.empty() || reference.front() != '#') {
        return nullptr;
    }
    const std::string id(reference.substr(1));
    const auto contained = json::array(resource, "contained");
    for (std::size_t i = 0; i < json::size(contained); ++i) {
        const auto candidate = json::objectAt(contained, i);
        if (json::text(candidate, "id") == id) {
            return candidate;
        }
    }
    return nullptr;
}

// The value of the first extension with this url, as an object (valueReference and the like).
Object::Ptr extensionNamed(const Object::Ptr& element, std::string_view url) {
    const auto extensions = json::array(element, "extension");
    for (std::size_t i = 0; i < json::size(extensions); ++i) {
        const auto extension = json::objectAt(extensions, i);
        if (json::text(extension, "url") == url) {
            return extension;
        }
    }
    return nullptr;
}

std::string firstCode(const Object::Ptr& codeable) {
    return json::text(json::objectAt(json::array(codeable, "coding"), 0), "code");
}

std::vector<std::string> shortlistOf(const Object::Ptr& referral) {
    std::vector<std::string> ids;
    Object::Ptr shortlist;
    const auto extensions = json::array(referral, "extension");
    for (std::size_t i = 0; i < json::size(extensions) && !shortlist; ++i) {
        const auto extension = json::objectAt(extensions, i);
        if (json::text(extension, "url").find("ReferralShortlist") != std::string::npos) {
            shortlist = containedById(
                referral, json::text(json::object(extension, "valueReference"), "reference"));
        }
    }
    const auto entries = json::array(shortlist, "entry");
    for (std::size_t i = 0; i < json::size(entries); ++i) {
        const auto item = json::object(json::objectAt(entries, i), "item");
        const std::string id = json::text(json::object(item, "identifier"), "value");
        if (!id.empty()) {
            ids.push_back(id);
        }
    }
    return ids;
}

void addAttachments(const Object::Ptr& document, std::vector<ReferralAttachment>& out) {
    const auto contents = json::array(document, "content");
    for (std::size_t i = 0; i < json::size(contents); ++i) {
        const auto attachment = json::object(json::objectAt(contents, i), "attachment");
        if (!attachment) {
            continue;
        }
        ReferralAttachment item;
        item.id = json::text(attachment, "id");
        item.url = json::text(attachment, "url");
        item.title = json::text(attachment, "title");
        item.contentType = json::text(attachment, "contentType");
        if (attachment->has("size")) {
            try {
                item.size = attachment->getValue<Poco::Int64>("size");
            } catch (const Poco::Exception&) {
                item.size = -1;
            }
        }
        out.push_back(std::move(item));
    }
}

} // namespace

std::string versionFromEtag(std::string_view etag) {
    if (etag.rfind("W/", 0) == 0) {
        etag.remove_prefix(2);
    }
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
        etag = etag.substr(1, etag.size() - 2);
    }
    return std::string(etag);
}

Result<ReferralRequest> parseReferralRequest(std::string_view text, std::string_view etag) {
    auto root = json::parseObject(text);
    if (!root) {
        return root.error();
    }
    const Object::Ptr& resource = *root;
    if (auto type = json::expectResourceType(resource, "ReferralRequest"); !type) {
        return type.error();
    }
    ReferralRequest referral;
    referral.ubrn = json::text(resource, "id");
    if (auto checked = checkUbrn(referral.ubrn); !checked) {
        return failure("id", referral.ubrn.empty() ? "is missing" : "is not a UBRN (12 digits)");
    }
    referral.version = json::text(json::object(resource, "meta"), "versionId");
    if (referral.version.empty()) {
        referral.version = versionFromEtag(etag);
    }
    referral.status = json::text(resource, "status");
    referral.nhsNumber =
        json::text(json::object(json::object(resource, "subject"), "identifier"), "value");
    referral.serviceIds = shortlistOf(resource);

    // Letters are contained DocumentReferences that supportingInfo points at.
    const auto supporting = json::array(resource, "supportingInfo");
    for (std::size_t i = 0; i < json::size(supporting); ++i) {
        const auto document =
            containedById(resource, json::text(json::objectAt(supporting, i), "reference"));
        if (document && json::text(document, "resourceType") == "DocumentReference") {
            addAttachments(document, referral.attachments);
        }
    }
    return referral;
}

Result<std::vector<ServiceSummary>> parseServiceSearch(std::string_view text) {
    auto root = json::parseObject(text);
    if (!root) {
        return root.error();
    }
    const Object::Ptr& resource = *root;
    const std::string type = json::text(resource, "resourceType");
    std::vector<ServiceSummary> services;
    const auto entries = json::array(resource, "entry");
    if (type == "List") {
        for (std::size_t i = 0; i < json::size(entries); ++i) {
            const auto item = json::object(json::objectAt(entries, i), "item");
            ServiceSummary service;
            service.id = json::text(json::object(item, "identifier"), "value");
            // The name sits in the ServiceSummaryView extension's "serviceName" sub-extension.
            const auto extensions = json::array(item, "extension");
            for (std::size_t e = 0; e < json::size(extensions) && service.name.empty(); ++e) {
                const auto named = extensionNamed(json::objectAt(extensions, e), "serviceName");
                service.name = json::text(named, "valueString");
            }
            if (service.id.empty()) {
                return failure("entry[" + std::to_string(i) + "].item.identifier",
                               "has no service id");
            }
            services.push_back(std::move(service));
        }
        return services;
    }
    if (type == "Bundle") {
        for (std::size_t i = 0; i < json::size(entries); ++i) {
            const auto service = json::object(json::objectAt(entries, i), "resource");
            if (json::text(service, "resourceType") != "HealthcareService") {
                continue;
            }
            ServiceSummary summary{json::text(service, "id"), json::text(service, "name")};
            if (summary.id.empty()) {
                return failure("entry[" + std::to_string(i) + "].resource.id", "is missing");
            }
            services.push_back(std::move(summary));
        }
        return services;
    }
    return failure("resourceType", "expected List or Bundle, found '" + type + "'");
}

Result<std::vector<WorklistEntry>> parseWorklist(std::string_view text) {
    auto root = json::parseObject(text);
    if (!root) {
        return root.error();
    }
    if (auto type = json::expectResourceType(*root, "List"); !type) {
        return type.error();
    }
    std::vector<WorklistEntry> result;
    const auto entries = json::array(*root, "entry");
    for (std::size_t i = 0; i < json::size(entries); ++i) {
        const auto entry = json::objectAt(entries, i);
        const std::string reference = json::text(json::object(entry, "item"), "reference");
        const std::string prefix = "ReferralRequest/";
        if (reference.rfind(prefix, 0) != 0) {
            return failure("entry[" + std::to_string(i) + "].item.reference",
                           "is not a ReferralRequest reference");
        }
        WorklistEntry item;
        item.ubrn = reference.substr(prefix.size());
        if (!checkUbrn(item.ubrn)) {
            return failure("entry[" + std::to_string(i) + "].item.reference",
                           "does not end in a UBRN");
        }
        // The details are sub-extensions of the one worklist-item extension, keyed by url.
        const auto extensions = json::array(entry, "extension");
        for (std::size_t e = 0; e < json::size(extensions); ++e) {
            const auto holder = json::objectAt(extensions, e);
            if (const auto patient = extensionNamed(holder, "patient")) {
                item.nhsNumber = json::text(
                    json::object(json::object(patient, "valueReference"), "identifier"), "value");
            }
            if (const auto created = extensionNamed(holder, "referralCreated")) {
                item.createdAt = json::text(created, "valueDateTime");
            }
            if (const auto status = extensionNamed(holder, "status")) {
                item.status = firstCode(json::object(status, "valueCodeableConcept"));
            }
            // spine-mock says which X-Correlation-ID created the referral; e-RS itself does not.
            if (json::text(holder, "url").find("CorrelationId") != std::string::npos) {
                item.correlationId = json::text(holder, "valueString");
            }
        }
        result.push_back(std::move(item));
    }
    return result;
}

} // namespace gp::messaging::ers
