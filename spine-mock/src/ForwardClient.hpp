#pragma once

#include <gp/mock/MockConfig.hpp>

#include <atomic>
#include <chrono>
#include <string>

namespace gp::mock {

/// What came back from one POST to a practice. `answered` is false when no HTTP response
/// arrived at all; `failure` then says why (connect, timeout, reset, stopped, curl:<code>).
struct DeliveryResult {
    bool answered = false;
    std::string failure;
    int status = 0;
    std::string contentType;
    std::string body;
};

/// POSTs a forwarded message to a practice's inbound URL with libcurl: the exact bytes, the
/// original Content-Type and SOAPAction, nothing added that could change their meaning.
class ForwardClient {
public:
    /// `stopping` aborts a transfer in progress when it becomes true (shutdown). With `tls`
    /// enabled, https:// deliveries present its certificate and verify the practice's against
    /// its CA file and the URL's host name.
    ForwardClient(std::chrono::milliseconds timeout, const std::atomic<bool>& stopping,
                  MockConfig::Tls tls = {});

    DeliveryResult post(const std::string& url, const std::string& contentType,
                        const std::string& soapAction, const std::string& body) const;

private:
    std::chrono::milliseconds m_timeout;
    const std::atomic<bool>& m_stopping;
    MockConfig::Tls m_tls;
};

} // namespace gp::mock
