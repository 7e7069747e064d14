#include "ErsFhir.hpp"

#include <gp/mock/AdminApi.hpp>
#include <gp/mock/ErsEndpoint.hpp>

#include <Poco/DigestEngine.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <set>
#include <variant>

namespace gp::mock {

namespace {

namespace fhir = ersfhir;
using Poco::JSON::Object;

constexpr std::string_view kAdminPrefix = "/_admin/ers/";
constexpr std::size_t kMaxShortlist = 20;
constexpr std::size_t kMaxFileBytes = 5 * 1024 * 1024;
constexpr int kMaxLockRequests = 1000;

constexpr std::array<std::string_view, 3> kReferringFunctions{
    "REFERRING_CLINICIAN", "REFERRING_CLINICIAN_ADMIN", "REFERRING_ADMIN"};
constexpr std::array<std::string_view, 3> kPriorities{"ROUTINE", "URGENT", "TWO_WEEK_WAIT"};
constexpr std::array<std::string_view, 4> kListTypes{"AWAITING_BOOKING", "LETTERS_OUTSTANDING",
                                                     "REJECTED_TRIAGE_RESPONSE",
                                                     "ASSESSMENT_RETURNED_CANCELLED_DNA"};
// The file types e-RS accepts for upload, by MIME type.
constexpr std::array<std::string_view, 17> kFileTypes{
    "text/plain",         "application/pdf",
    "application/xml",    "text/xml",
    "application/rtf",    "text/rtf",
    "text/richtext",      "audio/basic",
    "audio/mpeg",         "image/png",
    "image/gif",          "image/jpeg",
    "image/tiff",         "video/mpeg",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/dicom"};

template <std::size_t N>
bool isOneOf(const std::array<std::string_view, N>& values, std::string_view value) {
    return std::find(values.begin(), values.end(), value) != values.end();
}

struct Route {
    std::string operation;
    std::string method;
    std::string ubrn;
};

// The operation a path names, whatever the method; nullopt for a path e-RS does not have.
std::optional<Route> findRoute(const std::string& path) {
    const std::string base = std::string(fhir::kBasePath) + "/";
    if (path.rfind(base, 0) != 0) {
        return std::nullopt;
    }
    const std::string rest = path.substr(base.size());
    if (rest == "HealthcareService/$ers.searchHealthcareServicesForPatient") {
        return Route{"A010", "POST", ""};
    }
    if (rest == "ReferralRequest/$ers.createReferral") {
        return Route{"A011", "POST", ""};
    }
    if (rest == "ReferralRequest/$ers.fetchworklist") {
        return Route{"A008", "POST", ""};
    }
    if (rest == "Binary") {
        return Route{"A020", "POST", ""};
    }
    const std::string referrals = "ReferralRequest/";
    if (rest.rfind(referrals, 0) != 0) {
        return std::nullopt;
    }
    const std::string tail = rest.substr(referrals.size());
    const auto slash = tail.find('/');
    const std::string ubrn = tail.substr(0, slash);
    if (ubrn.empty() || ubrn[0] == '$') {
        return std::nullopt;
    }
    if (slash == std::string::npos) {
        return Route{"A005", "GET", ubrn};
    }
    const std::string operation = tail.substr(slash + 1);
    if (operation == "$ers.maintainReferralLetter") {
        return Route{"A012", "POST", ubrn};
    }
    if (operation == "$ers.cancelReferral") {
        return Route{"A036", "POST", ubrn};
    }
    return std::nullopt;
}

MockReply fhirReply(int status, std::string body) {
    MockReply reply;
    reply.status = status;
    reply.contentType = std::string(fhir::kFhirJson);
    reply.body = std::move(body);
    return reply;
}

MockReply outcomeReply(int status, std::string_view code, const std::string& diagnostics) {
    return fhirReply(status, fhir::operationOutcome(code, diagnostics));
}

// "application/fhir+json; charset=utf-8" -> "application/fhir+json"
std::string mediaType(const std::string& contentType) {
    return Poco::toLower(Poco::trim(contentType.substr(0, contentType.find(';'))));
}

std::optional<int> parseIfMatch(const std::string& header) {
    const std::string value = Poco::trim(header);
    if (value.size() < 5 || value.rfind("W/\"", 0) != 0 || value.back() != '"') {
        return std::nullopt;
    }
    const std::string digits = value.substr(3, value.size() - 4);
    if (digits.empty() || digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    return std::stoi(digits);
}

std::string etag(int version) {
    return "W/\"" + std::to_string(version) + "\"";
}

std::string sha256Hex(const std::string& bytes) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(bytes.data(), static_cast<unsigned>(bytes.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string whereAndWhy(const Error& error) {
    return error.where + ": " + error.message;
}

/// A010 and A011 both start from a Parameters body naming the patient.
struct PatientParameters {
    Poco::JSON::Object::Ptr parameters;
    std::string nhsNumber;
};

/// The Parameters and the patient's NHS number, or the 422 e-RS gives when either is wrong.
std::variant<PatientParameters, MockReply> readPatientParameters(const std::string& body) {
    auto parameters = fhir::parseParameters(body);
    if (!parameters) {
        return outcomeReply(422, "INVALID_FHIR_STRUCTURE", whereAndWhy(parameters.error()));
    }
    const auto patients = fhir::parametersNamed(*parameters, "patient");
    std::string nhsNumber =
        patients.empty()
            ? std::string()
            : fhir::stringAt(fhir::objectAt(patients.front(), "valueIdentifier"), "value");
    if (nhsNumber.empty()) {
        return outcomeReply(422, "MISSING_VALUE", "patient: an NHS number is required");
    }
    if (!fhir::isValidNhsNumber(nhsNumber)) {
        return outcomeReply(422, "INVALID_VALUE", "patient: not a valid NHS number");
    }
    return PatientParameters{*parameters, std::move(nhsNumber)};
}

} // namespace

struct ErsEndpoint::Call {
    const MockRequest& request;
    std::string operation; // A010, A011, ...
    std::string ubrn;      // from the path, or the one A011 created
    std::string binaryId;  // the one A020 created
    std::string correlationId;
    std::string receivedAt;
    bool journaled = false; // the store wrote the journal line together with the change
};

ErsEndpoint::ErsEndpoint(const MockConfig& config, MockStore& store, FaultPlan& faults,
                         const Clock& clock, messaging::ids::RandomSource& random, Waiter& waiter)
    : m_store(store), m_rateLimiter(config.ersRateLimit, clock), m_faults(faults), m_clock(clock),
      m_random(random), m_waiter(waiter), m_log(Poco::Logger::get("spine-mock.ers")) {}

bool ErsEndpoint::serves(std::string_view path) {
    const std::string base = std::string(fhir::kBasePath) + "/";
    return path.substr(0, base.size()) == base ||
           path.substr(0, kAdminPrefix.size()) == kAdminPrefix;
}

void ErsEndpoint::journal(const Call& call, const std::string& outcome,
                          const std::string& replyCode) {
    const std::string messageId = !call.correlationId.empty() ? call.correlationId
                                  : !call.ubrn.empty()        ? call.ubrn
                                                              : call.binaryId;
    const JournalEntry entry{0,  messageId, call.operation, outcome, replyCode, call.receivedAt,
                             "", ""};
    if (auto stored = m_store.journal(entry); !stored) {
        m_log.error("journal write failed for e-RS %s: %s", call.operation,
                    stored.error().describe());
    }
}

MockAction ErsEndpoint::handle(const MockRequest& request) {
    if (request.path.rfind(kAdminPrefix, 0) == 0) {
        return admin(request);
    }
    Call call{
        request, "", "", "", request.header("X-Correlation-ID"), formatIsoMillis(m_clock.now())};
    const auto finish = [&call](MockReply reply) {
        if (!call.correlationId.empty()) {
            reply.headers.emplace_back("X-Correlation-ID", call.correlationId);
        }
        return MockAction::answer(std::move(reply));
    };

    const auto route = findRoute(request.path);
    if (!route) {
        return finish(
            outcomeReply(404, "REFERENCE_NOT_FOUND", "no such endpoint: " + request.path));
    }
    if (request.method != route->method) {
        MockReply reply = outcomeReply(405, "METHOD_NOT_ALLOWED", "allowed: " + route->method);
        reply.headers.emplace_back("Allow", route->method);
        return finish(std::move(reply));
    }
    call.operation = route->operation;
    call.ubrn = route->ubrn;

    if (!m_rateLimiter.tryAcquire()) {
        MockReply reply = outcomeReply(429, "TOO_MANY_REQUESTS", "rate limit reached");
        reply.headers.emplace_back("Retry-After", "1");
        journal(call, "rejected", "429");
        m_log.information("e-RS %s throttled correlationId=%s", call.operation, call.correlationId);
        return finish(std::move(reply));
    }

    bool resetAfterProcessing = false;
    if (auto fault = m_faults.take(call.operation)) {
        if (fault->type == Fault::Type::Delay) {
            m_log.information("injected delay of %d ms for e-RS %s", fault->milliseconds,
                              call.operation);
            m_waiter.waitFor(std::chrono::milliseconds(fault->milliseconds));
        } else if (fault->type == Fault::Type::Reset && fault->afterProcessing) {
            resetAfterProcessing = true;
        } else if (fault->type == Fault::Type::Reset) {
            journal(call, "fault", "reset");
            MockAction action;
            action.kind = MockAction::Kind::Reset;
            return action;
        } else if (fault->type == Fault::Type::Hang) {
            m_waiter.waitFor(std::chrono::seconds(fault->seconds));
            journal(call, "fault", "hang");
            MockAction action;
            action.kind = MockAction::Kind::Close;
            return action;
        } else {
            const int status = fault->type == Fault::Type::Http ? fault->status : 500;
            const std::string_view code = status == 504   ? "PAS_NOT_RESPONDING"
                                          : status == 429 ? "TOO_MANY_REQUESTS"
                                          : status < 500  ? "REQUEST_FAILED"
                                                          : "SERVICE_UNAVAILABLE";
            MockReply reply = outcomeReply(status, code, "injected fault");
            if (fault->type == Fault::Type::Http && fault->retryAfter) {
                reply.headers.emplace_back("Retry-After", std::to_string(*fault->retryAfter));
            }
            journal(call, "fault", std::to_string(status));
            return finish(std::move(reply));
        }
    }

    MockReply reply = dispatch(call);
    const std::string status = std::to_string(reply.status);
    if (!call.journaled) {
        journal(call, reply.status < 400 ? "processed" : "rejected", status);
    }
    m_log.information("e-RS %s status=%s correlationId=%s ubrn=%s", call.operation, status,
                      call.correlationId, call.ubrn);
    if (resetAfterProcessing) {
        journal(call, "fault", "resetAfterProcessing");
        MockAction action;
        action.kind = MockAction::Kind::Reset;
        return action;
    }
    return finish(std::move(reply));
}

MockReply ErsEndpoint::dispatch(Call& call) {
    const MockRequest& request = call.request;
    const std::string authorization = Poco::trim(request.header("Authorization"));
    if (authorization.size() <= 7 || Poco::icompare(authorization.substr(0, 7), "Bearer ") != 0 ||
        Poco::trim(authorization.substr(7)).empty()) {
        return outcomeReply(401, "ACCESS_DENIED", "Authorization: a bearer token is required");
    }
    const std::string function = Poco::trim(request.header("NHSD-eRS-Business-Function"));
    if (function.empty()) {
        return outcomeReply(403, "NO_ACCESS", "NHSD-eRS-Business-Function: is required");
    }
    const bool lettersOperation = call.operation == "A012" || call.operation == "A020";
    if (!isOneOf(kReferringFunctions, function) ||
        (lettersOperation && function == "REFERRING_ADMIN")) {
        return outcomeReply(403, "FORBIDDEN",
                            "NHSD-eRS-Business-Function: " + function + " may not use " +
                                call.operation);
    }
    if (Poco::trim(request.header("NHSD-End-User-Organisation-ODS")).empty()) {
        return outcomeReply(403, "NO_ACCESS", "NHSD-End-User-Organisation-ODS: is required");
    }
    const bool jsonBody = call.operation != "A005" && call.operation != "A020";
    if (jsonBody && mediaType(request.header("Content-Type")) != fhir::kFhirJson) {
        return outcomeReply(415, "UNSUPPORTED_MEDIA_TYPE",
                            "Content-Type: must be application/fhir+json");
    }

    std::lock_guard lock(m_processMutex);
    if (call.operation == "A010") {
        return searchServices(call);
    }
    if (call.operation == "A011") {
        return createReferral(call);
    }
    if (call.operation == "A005") {
        return readReferral(call);
    }
    if (call.operation == "A020") {
        return uploadBinary(call);
    }
    if (call.operation == "A012") {
        return maintainLetter(call);
    }
    if (call.operation == "A036") {
        return cancelReferral(call);
    }
    return fetchWorklist(call);
}

MockReply ErsEndpoint::searchServices(Call& call) {
    auto read = readPatientParameters(call.request.body);
    if (auto* refusal = std::get_if<MockReply>(&read)) {
        return *refusal;
    }
    const auto& [parameters, nhsNumber] = std::get<PatientParameters>(read);
    std::string specialty;
    const auto criteria = fhir::parametersNamed(parameters, "searchCriteria");
    if (!criteria.empty()) {
        const auto specialties =
            fhir::parametersNamed(fhir::objectAt(criteria.front(), "resource"), "specialty");
        if (!specialties.empty()) {
            specialty = fhir::codeOf(specialties.front());
        }
    }
    std::vector<const ErsService*> found;
    for (const auto& service : m_directory.services()) {
        if (specialty.empty() || service.specialty == specialty) {
            found.push_back(&service);
        }
    }
    return fhirReply(200, fhir::serviceList(found));
}

MockReply ErsEndpoint::createReferral(Call& call) {
    auto read = readPatientParameters(call.request.body);
    if (auto* refusal = std::get_if<MockReply>(&read)) {
        return *refusal;
    }
    const auto& [parameters, nhsNumber] = std::get<PatientParameters>(read);

    std::vector<std::string> services;
    std::string priority;
    const auto shortlists = fhir::parametersNamed(parameters, "shortlist");
    if (!shortlists.empty()) {
        const auto list = fhir::objectAt(shortlists.front(), "resource");
        const auto entries = fhir::arrayAt(list, "entry");
        for (unsigned i = 0; entries && i < entries->size(); ++i) {
            const auto item = fhir::objectAt(fhir::objectIn(entries, i), "item");
            const std::string id = fhir::stringAt(fhir::objectAt(item, "identifier"), "value");
            if (id.empty()) {
                return outcomeReply(422, "MISSING_VALUE",
                                    "shortlist.entry[" + std::to_string(i) +
                                        "].item.identifier.value: is required");
            }
            services.push_back(id);
        }
        const auto contained = fhir::arrayAt(list, "contained");
        for (unsigned i = 0; contained && i < contained->size(); ++i) {
            const auto resource = fhir::objectIn(contained, i);
            if (fhir::stringAt(resource, "resourceType") != "Parameters") {
                continue;
            }
            for (const auto& parameter : fhir::parametersNamed(resource, "priority")) {
                priority = fhir::codeOf(parameter);
            }
        }
    }
    for (const auto& parameter : fhir::parametersNamed(parameters, "service")) {
        std::string id = fhir::stringAt(fhir::objectAt(parameter, "valueIdentifier"), "value");
        if (id.empty()) {
            id = fhir::stringAt(parameter, "valueString");
        }
        if (id.empty()) {
            return outcomeReply(422, "MISSING_VALUE", "service: a service id is required");
        }
        services.push_back(id);
    }
    for (const auto& parameter : fhir::parametersNamed(parameters, "priority")) {
        priority = fhir::codeOf(parameter);
    }

    if (services.empty()) {
        return outcomeReply(422, "MISSING_VALUE", "shortlist: at least one service is required");
    }
    if (services.size() > kMaxShortlist) {
        return outcomeReply(422, "TOO_MANY_ITEMS",
                            "shortlist: at most 20 services, not " +
                                std::to_string(services.size()));
    }
    std::set<std::string> seen;
    for (const auto& id : services) {
        if (!seen.insert(id).second) {
            return outcomeReply(422, "DUPLICATE_SERVICE",
                                "shortlist: service " + id + " appears more than once");
        }
        if (m_directory.find(id) == nullptr) {
            return outcomeReply(422, "REFERENCE_NOT_FOUND", "shortlist: no service " + id);
        }
    }
    if (priority.empty()) {
        priority = "ROUTINE";
    }
    if (!isOneOf(kPriorities, priority)) {
        return outcomeReply(422, "INVALID_CODE",
                            "priority: must be ROUTINE, URGENT or TWO_WEEK_WAIT, not " + priority);
    }

    ErsReferral referral;
    referral.ubrn = newUbrn();
    if (referral.ubrn.empty()) {
        return outcomeReply(500, "INTERNAL_SERVER_ERROR", "cannot allocate a UBRN");
    }
    referral.correlationId = call.correlationId;
    referral.nhsNumber = nhsNumber;
    referral.odsCode = Poco::trim(call.request.header("NHSD-End-User-Organisation-ODS"));
    referral.priority = priority;
    referral.services = services;
    referral.createdAt = call.receivedAt;
    referral.updatedAt = call.receivedAt;
    call.ubrn = referral.ubrn;
    const JournalEntry entry{
        0,      call.correlationId.empty() ? referral.ubrn : call.correlationId,
        "A011", "processed",
        "201",  call.receivedAt,
        "",     ""};
    if (auto created = m_store.createReferral(referral, entry); !created) {
        m_log.error("e-RS A011 not stored: %s", created.error().describe());
        return outcomeReply(500, "INTERNAL_SERVER_ERROR", "the referral could not be stored");
    }
    call.journaled = true;
    return referralReply(201, referral, call);
}

MockReply ErsEndpoint::readReferral(Call& call) {
    auto found = m_store.referral(call.ubrn);
    if (!found) {
        return outcomeReply(500, "INTERNAL_SERVER_ERROR", found.error().describe());
    }
    if (!*found) {
        return outcomeReply(404, "REFERENCE_NOT_FOUND", "no referral " + call.ubrn);
    }
    return referralReply(200, **found, call);
}

MockReply ErsEndpoint::uploadBinary(Call& call) {
    const MockRequest& request = call.request;
    const std::string type = mediaType(request.header("Content-Type"));
    if (!isOneOf(kFileTypes, type)) {
        return outcomeReply(415, "UNSUPPORTED_MEDIA_TYPE",
                            "Content-Type: '" + type + "' is not a file type e-RS accepts");
    }
    const std::string fileName = Poco::trim(request.header("NHSD-eRS-File-Name"));
    if (fileName.empty()) {
        return outcomeReply(422, "MISSING_VALUE", "NHSD-eRS-File-Name: is required");
    }
    if (request.body.empty() || request.body.size() > kMaxFileBytes) {
        return outcomeReply(422, "FILE_SIZE_ERROR",
                            "body: " + std::to_string(request.body.size()) +
                                " bytes; a file must hold 1 to 5242880 bytes");
    }
    ErsBinary binary;
    binary.id = newBinaryId();
    binary.contentType = type;
    binary.fileName = fileName;
    binary.referralId = Poco::trim(request.header("NHSD-eRS-Referral-ID"));
    binary.size = static_cast<std::int64_t>(request.body.size());
    binary.sha256 = sha256Hex(request.body);
    binary.createdAt = call.receivedAt;
    call.binaryId = binary.id;
    const std::string messageId = !call.correlationId.empty() ? call.correlationId : binary.id;
    const JournalEntry entry{0, messageId, "A020", "processed", "201", call.receivedAt, "", ""};
    if (auto stored = m_store.addBinary(binary, entry); !stored) {
        m_log.error("e-RS A020 not stored: %s", stored.error().describe());
        return outcomeReply(500, "INTERNAL_SERVER_ERROR", "the file could not be stored");
    }
    call.journaled = true;
    MockReply reply;
    reply.status = 201;
    reply.headers.emplace_back("Location", std::string(fhir::kBasePath) + "/Binary/" + binary.id);
    return reply;
}

std::optional<MockReply> ErsEndpoint::checkUpdatable(Call& call,
                                                     const std::optional<ErsReferral>& found) {
    if (!found) {
        return outcomeReply(404, "REFERENCE_NOT_FOUND", "no referral " + call.ubrn);
    }
    const std::string ifMatch = call.request.header("If-Match");
    if (Poco::trim(ifMatch).empty()) {
        return outcomeReply(400, "MISSING_VALUE", "If-Match: is required");
    }
    const auto version = parseIfMatch(ifMatch);
    if (!version) {
        return outcomeReply(400, "INVALID_VALUE", "If-Match: must be W/\"<version>\"");
    }
    {
        std::lock_guard lock(m_lockMutex);
        if (auto locked = m_locks.find(call.ubrn); locked != m_locks.end()) {
            if (--locked->second <= 0) {
                m_locks.erase(locked);
            }
            return outcomeReply(423, "LOCKED", "referral " + call.ubrn + " is locked");
        }
    }
    if (*version != found->version) {
        return outcomeReply(409, "CONFLICT",
                            "If-Match: version " + std::to_string(*version) +
                                " is not the current version " + std::to_string(found->version));
    }
    if (found->status == "cancelled") {
        return outcomeReply(422, "INVALID_REQUEST_STATE",
                            "referral " + call.ubrn + " is cancelled");
    }
    return std::nullopt;
}

MockReply ErsEndpoint::maintainLetter(Call& call) {
    auto found = m_store.referral(call.ubrn);
    if (!found) {
        return outcomeReply(500, "INTERNAL_SERVER_ERROR", found.error().describe());
    }
    if (auto refused = checkUpdatable(call, *found)) {
        return *refused;
    }
    auto parameters = fhir::parseParameters(call.request.body);
    if (!parameters) {
        return outcomeReply(422, "INVALID_FHIR_STRUCTURE", whereAndWhy(parameters.error()));
    }
    const auto files = fhir::parametersNamed(*parameters, "referralLetterFile");
    if (files.empty()) {
        return outcomeReply(422, "MISSING_VALUE", "referralLetterFile: at least one is required");
    }
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const std::string where = "referralLetterFile[" + std::to_string(i) + "]";
        const auto document = fhir::objectAt(files[i], "resource");
        const auto attachment =
            fhir::objectAt(fhir::objectIn(fhir::arrayAt(document, "content"), 0), "attachment");
        const std::string url = fhir::stringAt(attachment, "url");
        if (url.empty()) {
            return outcomeReply(422, "MISSING_VALUE",
                                where + ".content[0].attachment.url: is required");
        }
        const auto marker = url.rfind("Binary/");
        const std::string id = marker == std::string::npos ? std::string() : url.substr(marker + 7);
        if (id.empty() || id.find('/') != std::string::npos) {
            return outcomeReply(422, "INVALID_VALUE",
                                where + ".content[0].attachment.url: must name a Binary");
        }
        if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
            return outcomeReply(422, "DUPLICATE_FILENAME",
                                where + ": Binary/" + id + " is listed twice");
        }
        auto binary = m_store.binary(id);
        if (!binary) {
            return outcomeReply(500, "INTERNAL_SERVER_ERROR", binary.error().describe());
        }
        if (!*binary) {
            return outcomeReply(422, "REFERENCE_NOT_FOUND", where + ": no file Binary/" + id);
        }
        if ((*binary)->referralId != call.ubrn) {
            return outcomeReply(422, "INAPPROPRIATE_VALUE",
                                where + ": Binary/" + id +
                                    " was not uploaded with NHSD-eRS-Referral-ID " + call.ubrn);
        }
        ids.push_back(id);
    }
    ErsReferral updated = **found;
    std::vector<std::string> before = updated.attachments;
    std::vector<std::string> after = ids;
    std::sort(before.begin(), before.end());
    std::sort(after.begin(), after.end());
    if (before == after) {
        return outcomeReply(422, "NO_CHANGES_DETECTED",
                            "referralLetterFile: the referral already has these letters");
    }
    updated.attachments = ids;
    updated.version += 1;
    updated.updatedAt = call.receivedAt;
    const std::string messageId = !call.correlationId.empty() ? call.correlationId : call.ubrn;
    const JournalEntry entry{0, messageId, "A012", "processed", "200", call.receivedAt, "", ""};
    if (auto stored = m_store.updateReferral(updated, entry); !stored) {
        m_log.error("e-RS A012 not stored: %s", stored.error().describe());
        return outcomeReply(500, "INTERNAL_SERVER_ERROR", "the referral could not be stored");
    }
    call.journaled = true;
    return referralReply(200, updated, call);
}

MockReply ErsEndpoint::cancelReferral(Call& call) {
    auto found = m_store.referral(call.ubrn);
    if (!found) {
        return outcomeReply(500, "INTERNAL_SERVER_ERROR", found.error().describe());
    }
    if (auto refused = checkUpdatable(call, *found)) {
        return *refused;
    }
    auto parameters = fhir::parseParameters(call.request.body);
    if (!parameters) {
        return outcomeReply(422, "INVALID_FHIR_STRUCTURE", whereAndWhy(parameters.error()));
    }
    const auto reasons = fhir::parametersNamed(*parameters, "cancellationReason");
    if (reasons.empty() || fhir::codeOf(reasons.front()).empty()) {
        return outcomeReply(422, "MISSING_VALUE", "cancellationReason: a code is required");
    }
    ErsReferral updated = **found;
    updated.status = "cancelled";
    updated.version += 1;
    updated.updatedAt = call.receivedAt;
    const std::string messageId = !call.correlationId.empty() ? call.correlationId : call.ubrn;
    const JournalEntry entry{0, messageId, "A036", "processed", "200", call.receivedAt, "", ""};
    if (auto stored = m_store.updateReferral(updated, entry); !stored) {
        m_log.error("e-RS A036 not stored: %s", stored.error().describe());
        return outcomeReply(500, "INTERNAL_SERVER_ERROR", "the referral could not be stored");
    }
    call.journaled = true;
    return referralReply(200, updated, call);
}

MockReply ErsEndpoint::fetchWorklist(Call& call) {
    auto parameters = fhir::parseParameters(call.request.body);
    if (!parameters) {
        return outcomeReply(422, "INVALID_FHIR_STRUCTURE", whereAndWhy(parameters.error()));
    }
    const auto listTypes = fhir::parametersNamed(*parameters, "listType");
    const std::string listType =
        listTypes.empty() ? std::string() : fhir::codeOf(listTypes.front());
    if (listType.empty()) {
        return outcomeReply(422, "MISSING_VALUE", "listType: is required");
    }
    if (!isOneOf(kListTypes, listType)) {
        return outcomeReply(422, "INVALID_CODE", "listType: unknown list " + listType);
    }
    const std::string correlationId = call.request.query("correlationId");
    auto referrals = m_store.referrals(
        Poco::trim(call.request.header("NHSD-End-User-Organisation-ODS")), correlationId);
    if (!referrals) {
        return outcomeReply(500, "INTERNAL_SERVER_ERROR", referrals.error().describe());
    }
    std::vector<ErsReferral> listed;
    for (auto& referral : *referrals) {
        const bool active = referral.status != "cancelled";
        const bool onList =
            !correlationId.empty() || (listType == "AWAITING_BOOKING" && active) ||
            (listType == "LETTERS_OUTSTANDING" && active && referral.attachments.empty());
        if (onList) {
            listed.push_back(std::move(referral));
        }
    }
    return fhirReply(200, fhir::worklist(listed, listType));
}

MockReply ErsEndpoint::referralReply(int status, const ErsReferral& referral, Call& call) {
    std::vector<ErsBinary> attachments;
    for (const auto& id : referral.attachments) {
        auto binary = m_store.binary(id);
        if (binary && *binary) {
            attachments.push_back(**binary);
        } else {
            m_log.warning("e-RS referral %s lists Binary %s, which is not stored", call.ubrn, id);
        }
    }
    MockReply reply = fhirReply(status, fhir::referralRequest(referral, m_directory, attachments));
    reply.headers.emplace_back("ETag", etag(referral.version));
    return reply;
}

std::string ErsEndpoint::newUbrn() {
    // Random rather than sequential, like e-RS's; a collision is simply drawn again.
    for (int attempt = 0; attempt < 100; ++attempt) {
        char digits[16];
        std::snprintf(digits, sizeof digits, "%012llu",
                      static_cast<unsigned long long>(m_random.nextU64() % 1'000'000'000'000ULL));
        auto existing = m_store.referral(digits);
        if (!existing) {
            m_log.error("e-RS UBRN check failed: %s", existing.error().describe());
            return {};
        }
        if (!*existing) {
            return digits;
        }
    }
    return {};
}

std::string ErsEndpoint::newBinaryId() {
    for (int attempt = 0; attempt < 100; ++attempt) {
        char hex[32];
        std::snprintf(hex, sizeof hex, "att-%016llx",
                      static_cast<unsigned long long>(m_random.nextU64()));
        auto existing = m_store.binary(hex);
        if (existing && !*existing) {
            return hex;
        }
    }
    return "att-" + std::to_string(m_clock.now().time_since_epoch().count());
}

MockAction ErsEndpoint::admin(const MockRequest& request) {
    const std::string_view path = request.path;
    if (path == "/_admin/ers/referrals") {
        if (request.method != "GET") {
            MockReply reply = errorReply(405, "method", "allowed: GET");
            reply.headers.emplace_back("Allow", "GET");
            return MockAction::answer(std::move(reply));
        }
        return MockAction::answer(listReferrals(request));
    }
    if (path == "/_admin/ers/lock") {
        if (request.method != "POST") {
            MockReply reply = errorReply(405, "method", "allowed: POST");
            reply.headers.emplace_back("Allow", "POST");
            return MockAction::answer(std::move(reply));
        }
        return MockAction::answer(lock(request));
    }
    return MockAction::answer(errorReply(404, "path", "no such endpoint: " + request.path));
}

MockReply ErsEndpoint::listReferrals(const MockRequest& request) {
    auto referrals = m_store.referrals({}, request.query("correlationId"));
    if (!referrals) {
        return errorReply(500, "referrals", referrals.error().describe());
    }
    Poco::JSON::Array array;
    for (const auto& referral : *referrals) {
        Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        object->set("ubrn", referral.ubrn);
        object->set("correlationId", referral.correlationId);
        object->set("nhsNumber", referral.nhsNumber);
        object->set("odsCode", referral.odsCode);
        object->set("status", referral.status);
        object->set("version", referral.version);
        object->set("priority", referral.priority);
        Poco::JSON::Array::Ptr services = new Poco::JSON::Array;
        for (const auto& id : referral.services) {
            services->add(id);
        }
        object->set("services", services);
        Poco::JSON::Array::Ptr attachments = new Poco::JSON::Array;
        for (const auto& id : referral.attachments) {
            attachments->add(id);
        }
        object->set("attachments", attachments);
        object->set("createdAt", referral.createdAt);
        object->set("updatedAt", referral.updatedAt);
        array.add(object);
    }
    std::ostringstream out;
    array.stringify(out);
    return jsonReply(200, out.str());
}

MockReply ErsEndpoint::lock(const MockRequest& request) {
    Object::Ptr body;
    try {
        Poco::JSON::Parser parser;
        const auto parsed = parser.parse(request.body);
        if (parsed.type() == typeid(Object::Ptr)) {
            body = parsed.extract<Object::Ptr>();
        }
    } catch (const Poco::Exception& error) {
        return errorReply(400, "body", "body: is not valid JSON: " + error.message());
    }
    if (!body) {
        return errorReply(400, "body", "body: must be a JSON object");
    }
    const std::string ubrn = fhir::stringAt(body, "ubrn");
    if (ubrn.empty()) {
        return errorReply(400, "ubrn", "ubrn: is required");
    }
    int requests = 1;
    if (body->has("requests")) {
        const auto value = body->get("requests");
        if (value.isEmpty() || value.isBoolean() || value.isString() || !value.isInteger() ||
            value.convert<long long>() < 1 || value.convert<long long>() > kMaxLockRequests) {
            return errorReply(400, "requests", "requests: must be a whole number from 1 to 1000");
        }
        requests = static_cast<int>(value.convert<long long>());
    }
    std::lock_guard processing(m_processMutex);
    auto found = m_store.referral(ubrn);
    if (!found) {
        return errorReply(500, "referrals", found.error().describe());
    }
    if (!*found) {
        return errorReply(404, "ubrn", "ubrn: no referral " + ubrn);
    }
    {
        std::lock_guard lock(m_lockMutex);
        m_locks[ubrn] = requests;
    }
    Poco::Logger::get("spine-mock.admin")
        .information("e-RS referral %s locked for %d requests", ubrn, requests);
    Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("ubrn", ubrn);
    object.set("requests", requests);
    return jsonReply(200, fhir::stringify(object));
}

} // namespace gp::mock
