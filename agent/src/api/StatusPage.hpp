#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace Poco::Net {
class HTTPServerResponse;
}

namespace gp::agent::api {

/// One file of the status page (agent/web/), compiled into the binary.
struct WebFile {
    std::string_view name; // "status.html"
    std::string_view bytes;
};

/// Every file of agent/web/ the build embedded (the generated StatusPageFiles.cpp).
const std::vector<WebFile>& webFiles();

/// Answers GET (or HEAD) of "/" and of an embedded file's path, without a token: the page asks
/// for one and sends it with every /v1 call. Returns false, answering nothing, for other paths.
bool serveStatusPage(const std::string& method, const std::string& path,
                     Poco::Net::HTTPServerResponse& response);

} // namespace gp::agent::api
