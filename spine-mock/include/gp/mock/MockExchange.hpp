#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gp::mock {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// An HTTP request as the core sees it: no sockets, so tests can build one by hand.
struct MockRequest {
    std::string method;
    std::string path;
    HeaderList queryParameters; // decoded
    HeaderList headers;
    std::string body;

    /// The first header of that name (case-insensitive), or empty.
    std::string header(std::string_view name) const;
    /// The first query parameter of that name (case-sensitive), or empty.
    std::string query(std::string_view name) const;
};

struct MockReply {
    int status = 200;
    std::string contentType;
    HeaderList headers; // beyond Content-Type and Content-Length
    std::string body;
};

/// What the server does with a connection: answer it, reset it (RST, no reply), or close it
/// without a reply (after an injected hang).
struct MockAction {
    enum class Kind { Reply, Reset, Close };
    Kind kind = Kind::Reply;
    MockReply reply;

    static MockAction answer(MockReply reply) { return {Kind::Reply, std::move(reply)}; }
};

/// A JSON reply with the given status: the admin API's and health check's form.
MockReply jsonReply(int status, std::string json);

} // namespace gp::mock
