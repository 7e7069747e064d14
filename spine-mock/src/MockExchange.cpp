#include <gp/mock/MockExchange.hpp>

#include <Poco/String.h>

namespace gp::mock {

std::string MockRequest::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (Poco::icompare(key, std::string(name)) == 0) {
            return value;
        }
    }
    return {};
}

std::string MockRequest::query(std::string_view name) const {
    for (const auto& [key, value] : queryParameters) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

MockReply jsonReply(int status, std::string json) {
    MockReply reply;
    reply.status = status;
    reply.contentType = "application/json";
    reply.body = std::move(json);
    return reply;
}

} // namespace gp::mock
