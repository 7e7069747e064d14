#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gp::agent {

struct HttpRequest {
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string method = "POST"; // POST, PUT or GET
    /// When set, the body is streamed from this file instead of `body` (large GP2GP parts).
    std::filesystem::path bodyFile;
    /// Sent on a connection of its own, closed afterwards: for a request that must never arrive
    /// twice. On a reused keep-alive connection that dies before any reply, libcurl sends the
    /// request again on a new connection by itself; when that connect then fails, the failure
    /// says "nothing sent" although the first copy may have arrived and been acted on.
    bool freshConnection = false;
};

struct HttpResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers; // names as received
    std::string body;

    /// First header with this name, compared without regard to case.
    std::optional<std::string> header(const std::string& name) const;
};

/// What happened to one HTTP exchange. `response` is set only when a status line arrived.
struct TransportResult {
    enum class Failure { None, ConnectFailed, Timeout, ConnectionReset, Tls, Other };
    Failure failure = Failure::None;
    std::string failureText; // libcurl's message; no payload
    std::optional<HttpResponse> response;
};

struct TlsSettings {
    bool verifyPeer = true;
    std::string caFile;   // CA bundle for the server certificate; empty: system default
    std::string certFile; // client certificate (PEM) for mutual TLS
    std::string keyFile;  // client private key (PEM)
    std::string keyPassword;
};

struct TransportSettings {
    std::chrono::milliseconds connectTimeout{5000};
    std::chrono::milliseconds totalTimeout{30000};
    TlsSettings tls;
};

/// Sends HTTP requests. One instance per dispatcher thread; it keeps its connections alive and
/// reuses them between requests.
class HttpTransport {
public:
    virtual ~HttpTransport() = default;
    virtual TransportResult send(const HttpRequest& request) = 0;
};

} // namespace gp::agent
