#pragma once

#include <gp/Result.hpp>
#include <gp/agent/config/Settings.hpp>
#include <gp/agent/ers/ErsService.hpp>
#include <gp/agent/transport/HttpTransport.hpp>
#include <gp/messaging/ers/ErsRequests.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

namespace gp::agent::ers {

/// The e-RS calls made while the local API's caller waits: reads only (service search, a
/// referral's current version), never an update, so they skip the outbox and are not retried.
/// One transport, one call at a time: CurlTransport is not thread-safe.
class ErsSyncClient {
public:
    ErsSyncClient(AgentSettings::Ers settings, std::string odsCode,
                  std::unique_ptr<HttpTransport> transport);

    /// e-RS's 2xx reply, or why there was none. `token`, `correlationId` and the practice's ODS
    /// code (empty: the agent's default) go in the headers.
    std::variant<HttpResponse, ErsCallFailure> send(const messaging::ers::FhirRequest& call,
                                                    const std::string& correlationId,
                                                    const std::string& token,
                                                    const std::string& practiceOdsCode = {});

private:
    AgentSettings::Ers m_settings;
    std::string m_odsCode;
    std::mutex m_mutex;
    std::unique_ptr<HttpTransport> m_transport;
};

} // namespace gp::agent::ers
