#pragma once

#include <gp/agent/transport/HttpTransport.hpp>

#include <memory>

namespace gp::agent {

/// What the transports of one process share (a libcurl share handle): TLS sessions, so that a
/// transport opening a connection resumes a session another one negotiated instead of a full
/// handshake, and DNS answers. Connections themselves are not shared: each transport keeps its
/// own, which is what makes "one request, one connection" (freshConnection) hold. Thread-safe.
class CurlShare {
public:
    CurlShare();
    ~CurlShare();
    CurlShare(const CurlShare&) = delete;
    CurlShare& operator=(const CurlShare&) = delete;

private:
    friend class CurlTransport;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// libcurl easy handle, kept for the life of the transport so that its connections are kept
/// alive and reused. Not thread-safe: one thread at a time.
class CurlTransport final : public HttpTransport {
public:
    /// `share` is optional; the transport keeps it alive as long as it needs it.
    explicit CurlTransport(TransportSettings settings, std::shared_ptr<CurlShare> share = nullptr);
    ~CurlTransport() override;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    TransportResult send(const HttpRequest& request) override;

private:
    struct Handle;
    std::shared_ptr<CurlShare> m_share; // outlives m_handle, which points at it
    std::unique_ptr<Handle> m_handle;
    TransportSettings m_settings;
};

/// curl_global_init once per process, before any thread starts.
void initialiseCurlGlobally();

} // namespace gp::agent
