#pragma once

#include <gp/agent/transport/HttpTransport.hpp>

#include <memory>

namespace gp::agent {

/// libcurl easy handle, kept for the life of the transport so that connections are reused.
/// Not thread-safe: one per thread.
class CurlTransport final : public HttpTransport {
public:
    explicit CurlTransport(TransportSettings settings);
    ~CurlTransport() override;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    TransportResult send(const HttpRequest& request) override;

private:
    struct Handle;
    std::unique_ptr<Handle> m_handle;
    TransportSettings m_settings;
};

/// curl_global_init once per process, before any thread starts.
void initialiseCurlGlobally();

} // namespace gp::agent
