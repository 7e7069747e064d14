#pragma once

#include <Poco/Net/Context.h>

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
    /// Over HTTPS with `tls` (its CA verifies the server; its certificate, if any, is presented).
    /// `host` must then be a name the server's certificate carries.
    ApiClient(std::string host, int port, std::string token, Poco::Net::Context::Ptr tls);

    ApiReply get(const std::string& pathAndQuery) const;
    ApiReply post(const std::string& path, const std::string& jsonBody) const;
    ApiReply send(const std::string& method, const std::string& pathAndQuery,
                  const std::string& body, const std::string& contentType) const;

    int port() const { return m_port; }

    /// Sent as X-Gp-Operator on every request, so the agent's audit rows name who ran the command
    /// beside the token (informational: the token is what authenticates).
    void setOperator(std::string name) { m_operator = std::move(name); }

private:
    std::string m_host;
    int m_port;
    std::string m_token;
    std::string m_operator;
    Poco::Net::Context::Ptr m_tls; // null: plain HTTP
};

} // namespace gp::agent
