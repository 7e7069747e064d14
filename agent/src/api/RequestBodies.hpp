#pragma once

#include <gp/Result.hpp>
#include <gp/agent/ers/ErsService.hpp>

#include <Poco/JSON/Object.h>

#include <string_view>
#include <vector>

namespace gp::agent::api {

// How the local API turns request bodies into values, kept apart from the HTTP handling so that
// the fuzz targets (tests/fuzz/fuzz_api_json.cpp) reach exactly the code the routes run.

/// The body as a JSON object (an empty body reads as {}); null when it is not valid JSON or not
/// an object.
Poco::JSON::Object::Ptr parseJsonObject(std::string_view body);

/// An e-RS referral's fields (nhsNumber, serviceIds, letterFile, letterContentType) read into
/// `input`; every field problem is returned, so the caller hears them all at once.
std::vector<Error> readErsReferralInput(const Poco::JSON::Object::Ptr& body,
                                        ErsReferralInput& input);

} // namespace gp::agent::api
