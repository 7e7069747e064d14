#pragma once

#include <string>
#include <utility>
#include <vector>

namespace gp::agent {

struct ApiReply {
    int status = 0;
    std::string body;
};

/// A small blocking client for the local API, used by gp-agentctl and the integration tests.
/// Throws Poco::Exception when the agent cannot be reached.
class ApiClient {
public:
    ApiClient(std::string host, int port, std::string token);

    ApiReply get(const std::string& pathAndQuery) const;
    ApiReply post(const std::string& path, const std::string& jsonBody) const;
    ApiReply send(const std::string& method, const std::string& pathAndQuery,
                  const std::string& body, const std::string& contentType) const;

    int port() const { return m_port; }

private:
    std::string m_host;
    int m_port;
    std::string m_token;
};

} // namespace gp::agent
