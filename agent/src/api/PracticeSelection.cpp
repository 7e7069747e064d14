#include "PracticeSelection.hpp"

#include "HttpReplies.hpp"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <algorithm>

namespace gp::agent::api {

namespace {

using Poco::Net::HTTPResponse;

constexpr std::string_view kPrefix = "/practices/";

std::string formatPractices(const std::vector<std::string>& codes) {
    std::string out;
    for (const std::string& code : codes) {
        out += (out.empty() ? "" : ",") + code;
    }
    return out;
}

bool reads(const std::string& method) {
    return method == "GET" || method == "HEAD";
}

/// Routes whose rows are not kept per practice, or whose action reaches every practice: the
/// audit trail (it names patients of all practices), pausing sending, and GP2GP transfers
/// (a transfer does not yet record its practice). Only a token for every practice may use them.
std::optional<std::string> agentWide(const std::string& path) {
    if (path == "/v1/audit") {
        return "the audit trail covers every practice";
    }
    if (path == "/v1/dispatch/pause" || path == "/v1/dispatch/resume") {
        return "pausing or resuming sending acts for every practice";
    }
    if (path.rfind("/v1/gp2gp/transfers", 0) == 0) {
        return "GP2GP transfers are not yet kept per practice";
    }
    return std::nullopt;
}

} // namespace

std::string RequestPractice::odsCodeOf(const std::string& storedPractice) const {
    if (storedPractice.empty() && directory != nullptr) {
        return directory->defaultPractice().odsCode;
    }
    return storedPractice;
}

bool RequestPractice::shows(const std::string& storedPractice) const {
    return shown.empty() || std::find(shown.begin(), shown.end(), storedPractice) != shown.end();
}

std::optional<std::string> takePracticePrefix(Poco::Net::HTTPServerRequest& request) {
    const std::string& target = request.getURI();
    if (target.rfind(kPrefix, 0) != 0) {
        return std::nullopt;
    }
    const std::size_t end = target.find_first_of("/?", kPrefix.size());
    const std::string odsCode = target.substr(kPrefix.size(), end - kPrefix.size());
    // The rest is routed as if sent alone; "/practices/A83008" alone is the root of nothing.
    std::string rest = end == std::string::npos ? "/" : target.substr(end);
    if (rest.front() == '?') {
        rest.insert(0, "/");
    }
    request.setURI(rest);
    return odsCode;
}

std::optional<RequestPractice> selectPractice(Poco::Net::HTTPServerRequest& request,
                                              Poco::Net::HTTPServerResponse& response,
                                              const PracticeDirectory* directory,
                                              const std::optional<std::string>& fromPath,
                                              const Caller& caller) {
    if (!caller.practices.empty()) {
        const std::string path = Poco::URI(request.getURI()).getPath();
        if (const auto why = agentWide(path)) {
            apiLogger().information("refused %s to token %s: scoped to practices", path,
                                    caller.name);
            sendErrors(response, HTTPResponse::HTTP_FORBIDDEN,
                       {failure("practice", *why + ": it needs a token for all practices; token " +
                                                caller.name + " is for " +
                                                formatPractices(caller.practices))});
            return std::nullopt;
        }
    }
    std::optional<std::string> named = fromPath;
    if (request.has(kPracticeHeader)) {
        const std::string fromHeader = request.get(kPracticeHeader);
        if (named && !sameOdsCode(*named, fromHeader)) {
            sendErrors(response, HTTPResponse::HTTP_BAD_REQUEST,
                       {failure(kPracticeHeader, "names practice " + fromHeader +
                                                     " but the path names practice " + *named)});
            return std::nullopt;
        }
        named = fromHeader;
    }
    RequestPractice selected;
    selected.directory = directory;
    if (named) {
        selected.practice = directory == nullptr ? nullptr : directory->byOdsCode(*named);
        if (selected.practice == nullptr) {
            sendErrors(response, HTTPResponse::HTTP_NOT_FOUND,
                       {failure("practice", "this agent does not act for practice " + *named)});
            return std::nullopt;
        }
        if (!caller.mayActFor(selected.practice->odsCode)) {
            refusePractice(response, caller, selected.practice->odsCode);
            return std::nullopt;
        }
        selected.shown.push_back(selected.practice->odsCode);
    } else if (directory != nullptr) {
        selected.practice = &directory->defaultPractice();
        if (!caller.mayActFor(selected.practice->odsCode) && !reads(request.getMethod())) {
            refusePractice(response, caller, selected.practice->odsCode);
            return std::nullopt;
        }
        selected.shown = caller.practices; // every practice the token may see
    }
    // Rows written before practices existed, and the default practice's, may be stored as "".
    if (directory != nullptr && !selected.shown.empty() &&
        std::any_of(selected.shown.begin(), selected.shown.end(), [&](const std::string& code) {
            return sameOdsCode(code, directory->defaultPractice().odsCode);
        })) {
        selected.shown.emplace_back();
    }
    // Stored codes are the directory's spelling; a token's scope may be spelt otherwise.
    for (std::string& code : selected.shown) {
        if (const Practice* known = directory == nullptr ? nullptr : directory->byOdsCode(code)) {
            code = known->odsCode;
        }
    }
    return selected;
}

void refusePractice(Poco::Net::HTTPServerResponse& response, const Caller& caller,
                    const std::string& odsCode) {
    apiLogger().information("refused token %s: not scoped to practice %s", caller.name, odsCode);
    sendErrors(
        response, HTTPResponse::HTTP_FORBIDDEN,
        {failure("practice", "token " + caller.name + " may not act for practice " + odsCode)});
}

} // namespace gp::agent::api
