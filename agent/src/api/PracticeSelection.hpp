#pragma once

#include "Caller.hpp"

#include <gp/agent/config/Practices.hpp>

#include <optional>
#include <string>
#include <vector>

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
} // namespace Poco::Net

namespace gp::agent::api {

// Which practice a local API request acts for (docs/multi-practice.md): the one place it is
// decided. A request names a practice by a path prefix, /practices/{ods}/v1/..., or by the
// header X-Practice-ODS; naming none means the agent's default practice.

inline constexpr const char* kPracticeHeader = "X-Practice-ODS";

/// The practice a request acts for, and what of the store its lists may show.
struct RequestPractice {
    /// The practice acted for: the one named, else the default. Null only for an API given no
    /// PracticeDirectory (its parts then use their own single practice).
    const Practice* practice = nullptr;
    const PracticeDirectory* directory = nullptr;
    /// MessageRecord::practice values that lists and counts show ("" stands for the default
    /// practice); empty: all of them.
    std::vector<std::string> shown;

    /// The ODS code of a stored row's practice ("" is the default practice's).
    std::string odsCodeOf(const std::string& storedPractice) const;
    /// Whether a stored row of `storedPractice` is shown to this request.
    bool shows(const std::string& storedPractice) const;
    /// The acted-for practice's ODS code; "" when there is no directory.
    std::string odsCode() const { return practice == nullptr ? std::string() : practice->odsCode; }
};

/// Takes a leading "/practices/{ods}" off the request's target, so that every route matches the
/// rest as if it had been sent alone, and returns the ODS code it named. Nothing when the target
/// has no such prefix; an empty code for "/practices/" followed by nothing usable.
std::optional<std::string> takePracticePrefix(Poco::Net::HTTPServerRequest& request);

/// Settles the practice of an admitted request, or answers it and returns nothing: 400 when the
/// path and the header name different practices, 404 naming a practice the agent does not act
/// for, 403 naming a practice the caller's token is not scoped to. A request that names none
/// acts for the default practice; a token not scoped to it may still read (its lists show its
/// own practices) but not act.
std::optional<RequestPractice> selectPractice(Poco::Net::HTTPServerRequest& request,
                                              Poco::Net::HTTPServerResponse& response,
                                              const PracticeDirectory* directory,
                                              const std::optional<std::string>& fromPath,
                                              const Caller& caller);

/// 403 naming the practice: for a stored row (a message) of a practice the caller may not see.
void refusePractice(Poco::Net::HTTPServerResponse& response, const Caller& caller,
                    const std::string& odsCode);

} // namespace gp::agent::api
