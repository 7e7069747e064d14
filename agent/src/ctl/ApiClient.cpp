#include <gp/agent/ctl/ApiClient.hpp>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>

#include <memory>

namespace gp::agent {

ApiClient::ApiClient(std::string host, int port, std::string token)
    : m_host(std::move(host)), m_port(port), m_token(std::move(token)) {}

ApiClient::ApiClient(std::string host, int port, std::string token, Poco::Net::Context::Ptr tls)
    : m_host(std::move(host)), m_port(port), m_token(std::move(token)), m_tls(std::move(tls)) {}

ApiReply ApiClient::get(const std::string& pathAndQuery) const {
    return send("GET", pathAndQuery, "", "");
}

ApiReply ApiClient::post(const std::string& path, const std::string& jsonBody) const {
    return send("POST", path, jsonBody, "application/json");
}

ApiReply ApiClient::send(const std::string& method, const std::string& pathAndQuery,
                         const std::string& body, const std::string& contentType) const {
    std::unique_ptr<Poco::Net::HTTPClientSession> secure;
    if (m_tls) {
        secure = std::make_unique<Poco::Net::HTTPSClientSession>(
            m_host, static_cast<Poco::UInt16>(m_port), m_tls);
    }
    Poco::Net::HTTPClientSession plain(m_host, static_cast<Poco::UInt16>(m_port));
    Poco::Net::HTTPClientSession& session = secure ? *secure : plain;
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!m_token.empty()) {
        request.set("Authorization", "Bearer " + m_token);
    }
    if (!m_operator.empty()) {
        request.set("X-Gp-Operator", m_operator);
    }
    if (!contentType.empty()) {
        request.setContentType(contentType);
    }
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    ApiReply reply;
    reply.status = static_cast<int>(response.getStatus());
    Poco::StreamCopier::copyToString(in, reply.body);
    return reply;
}

} // namespace gp::agent
