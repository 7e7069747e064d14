#include "StatusPage.hpp"

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <ostream>

namespace gp::agent::api {

namespace {

// Nothing from elsewhere, no inline script or style, no framing: the page is its three files and
// the JSON API on the same origin.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string contentTypeOf(std::string_view name) {
    const auto endsWith = [&](std::string_view suffix) {
        return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
    };
    if (endsWith(".html")) {
        return "text/html; charset=utf-8";
    }
    if (endsWith(".css")) {
        return "text/css; charset=utf-8";
    }
    if (endsWith(".js")) {
        return "text/javascript; charset=utf-8";
    }
    if (endsWith(".png")) {
        return "image/png";
    }
    return "application/octet-stream";
}

const WebFile* find(std::string_view path) {
    const std::string_view name = path == "/" ? std::string_view("status.html") : path.substr(1);
    for (const WebFile& file : webFiles()) {
        if (file.name == name) {
            return &file;
        }
    }
    return nullptr;
}

} // namespace

bool serveStatusPage(const std::string& method, const std::string& path,
                     Poco::Net::HTTPServerResponse& response) {
    if ((method != "GET" && method != "HEAD") || path.empty() || path.front() != '/') {
        return false;
    }
    const WebFile* file = find(path);
    if (file == nullptr) {
        return false;
    }
    response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    response.setContentType(contentTypeOf(file->name));
    response.setContentLength(static_cast<std::streamsize>(file->bytes.size()));
    // Always the running agent's page: after an upgrade the browser must not keep the old one.
    response.set("Cache-Control", "no-store");
    response.set("Content-Security-Policy", kContentSecurityPolicy);
    response.set("X-Content-Type-Options", "nosniff");
    response.set("X-Frame-Options", "DENY");
    response.set("Referrer-Policy", "no-referrer");
    std::ostream& out = response.send();
    if (method == "GET") {
        out.write(file->bytes.data(), static_cast<std::streamsize>(file->bytes.size()));
    }
    return true;
}

} // namespace gp::agent::api
