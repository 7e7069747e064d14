#include "ErsSyncClient.hpp"

#include "ErsWorkflow.hpp"

#include <gp/agent/transport/CurlTransport.hpp>
#include <gp/messaging/ers/OperationOutcome.hpp>

namespace gp::agent::ers {

namespace {

namespace wire = messaging::ers;

std::string failureName(TransportResult::Failure failure) {
    switch (failure) {
    case TransportResult::Failure::ConnectFailed:
        return "connect";
    case TransportResult::Failure::Timeout:
        return "timeout";
    case TransportResult::Failure::ConnectionReset:
        return "reset";
    case TransportResult::Failure::Tls:
        return "tls";
    default:
        return "other";
    }
}

} // namespace

ErsSyncClient::ErsSyncClient(AgentSettings::Ers settings, std::string odsCode,
                             std::unique_ptr<HttpTransport> transport)
    : m_settings(std::move(settings)), m_odsCode(std::move(odsCode)),
      m_transport(std::move(transport)) {}

std::variant<HttpResponse, ErsCallFailure> ErsSyncClient::send(const wire::FhirRequest& call,
                                                               const std::string& correlationId,
                                                               const std::string& token,
                                                               const std::string& practiceOdsCode) {
    HttpRequest request;
    request.url = m_settings.url + call.path;
    request.method = call.method;
    request.body = call.body;
    request.headers = ersHeaders(m_settings, practiceOdsCode.empty() ? m_odsCode : practiceOdsCode,
                                 correlationId, token);
    if (!call.contentType.empty()) {
        request.headers.emplace_back("Content-Type", call.contentType);
    }
    TransportResult result;
    {
        std::lock_guard lock(m_mutex);
        if (!m_transport) {
            m_transport = std::make_unique<CurlTransport>(TransportSettings{});
        }
        result = m_transport->send(request);
    }
    if (result.failure != TransportResult::Failure::None || !result.response) {
        ErsCallFailure failure;
        failure.timedOut = result.failure == TransportResult::Failure::Timeout;
        failure.code = "transport-" + failureName(result.failure);
        failure.text =
            "e-RS did not answer (" +
            (result.failureText.empty() ? std::string("no HTTP response") : result.failureText) +
            ")";
        return failure;
    }
    HttpResponse& response = *result.response;
    if (response.status >= 200 && response.status < 300) {
        return std::move(response);
    }
    const auto message = wire::staffMessageForBody(response.status, response.body);
    ErsCallFailure failure;
    failure.httpStatus = response.status;
    failure.code = message.code;
    failure.text = message.text;
    failure.retryAfter = response.header("Retry-After").value_or("");
    return failure;
}

} // namespace gp::agent::ers
