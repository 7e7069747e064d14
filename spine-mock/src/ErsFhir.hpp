#pragma once

// FHIR STU3 JSON for spine-mock's e-RS endpoint: what it writes (OperationOutcome,
// ReferralRequest, the service and worklist Lists) and small readers for the Parameters
// resources it accepts.

#include <gp/Result.hpp>
#include <gp/mock/ErsDirectory.hpp>
#include <gp/mock/ErsStore.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>
#include <string_view>
#include <vector>

namespace gp::mock::ersfhir {

inline constexpr std::string_view kBasePath = "/referrals/FHIR/STU3";
inline constexpr std::string_view kErrorSystem =
    "https://fhir.nhs.uk/STU3/CodeSystem/eRS-APIErrorCode-1";
inline constexpr std::string_view kApimErrorSystem =
    "https://fhir.nhs.uk/CodeSystem/NHSD-API-ErrorOrWarningCode";
inline constexpr std::string_view kNhsNumberSystem = "http://fhir.nhs.net/Id/nhs-number";
inline constexpr std::string_view kServiceSystem = "http://fhir.nhs.net/Id/ers-service";
inline constexpr std::string_view kCorrelationExtension =
    "https://spine-mock.invalid/StructureDefinition/Extension-Mock-CorrelationId";
inline constexpr std::string_view kFhirJson = "application/fhir+json";

/// An eRS-OperationOutcome-1 with one error issue; the issue code and display follow the code.
std::string operationOutcome(std::string_view code, std::string_view diagnostics);

std::string referralRequest(const ErsReferral& referral, const ErsDirectory& directory,
                            const std::vector<ErsBinary>& attachments);
/// eRS-FetchServices-List-1 holding the given services.
std::string serviceList(const std::vector<const ErsService*>& services);
/// eRS-FetchWorklist-List-1; the item extension is named after the list type.
std::string worklist(const std::vector<ErsReferral>& referrals, std::string_view listType);

/// Ten digits whose last is the modulus 11 check digit of the first nine.
bool isValidNhsNumber(std::string_view nhsNumber);

std::string stringify(const Poco::JSON::Object& object);

/// The body as a Parameters resource; where "body" says why it is not one.
Result<Poco::JSON::Object::Ptr> parseParameters(const std::string& body);
/// Every element of `resource`'s "parameter" array named `name`, in order.
std::vector<Poco::JSON::Object::Ptr> parametersNamed(const Poco::JSON::Object::Ptr& resource,
                                                     std::string_view name);
/// The member as an object/array/string, or null/empty when missing or of another type.
Poco::JSON::Object::Ptr objectAt(const Poco::JSON::Object::Ptr& object, const std::string& key);
Poco::JSON::Array::Ptr arrayAt(const Poco::JSON::Object::Ptr& object, const std::string& key);
Poco::JSON::Object::Ptr objectIn(const Poco::JSON::Array::Ptr& array, unsigned index);
std::string stringAt(const Poco::JSON::Object::Ptr& object, const std::string& key);
/// A parameter's code: valueCoding.code, or valueCodeableConcept.coding[0].code.
std::string codeOf(const Poco::JSON::Object::Ptr& parameter);

} // namespace gp::mock::ersfhir
