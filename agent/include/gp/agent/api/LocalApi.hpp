#pragma once

#include <gp/agent/Clock.hpp>
#include <gp/agent/config/Practices.hpp>
#include <gp/agent/eps/EpsSubmissions.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/agent/transport/ServerTls.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace gp::agent {

class QuietHttpServer;
namespace api {
class TokenRegistry;
}
class Gp2gpService;
class EpsCancellations;
class ErsService;

struct LocalApiSettings {
    std::string bind = "127.0.0.1";
    int port = 7670; // 0 picks a free port
    std::string token;
    std::size_t maxBodyBytes = 1024 * 1024;
    int threads = 8;
    ServerTlsSettings tls; // a server certificate only: callers authenticate with the token
    /// The named tokens (api.tokensFile), beside `token` (the local administrator's, Full scope).
    std::filesystem::path tokensFile = {};
    /// store.engine and store.instance, for the status JSON's "store" (with leadsWorkflows).
    std::string storeEngine = "sqlite";
    std::string storeInstance = {};
};

/// The clinical system's and staff's way in: JSON over HTTP on the practice server.
/// Everything but /healthz and the status page's files needs `Authorization: Bearer <token>`
/// whose scope allows the request (agent/src/api/Authorisation.hpp). Routes are listed in
/// docs/local-api.md and in LocalApi.cpp's router, the one place requests are dispatched.
class LocalApi {
public:
    struct Dependencies {
        Store& store;
        EpsSubmissions& eps;
        const Clock& clock;
        std::function<void()> workArrived; // wakes the dispatcher after a commit
        Gp2gpService* gp2gp = nullptr;     // null: the /v1/gp2gp/ routes that act answer 503
        EpsCancellations* epsCancellations = nullptr; // null: POST /v1/eps/cancellations is 503
        ErsService* ers = nullptr;                    // null: POST /v1/ers/referrals answers 503
        /// The practices requests may name (docs/multi-practice.md); null: the parts' own one
        /// practice, and a request naming any practice is answered 404.
        const PracticeDirectory* practices = nullptr;
    };

    LocalApi(Dependencies dependencies, LocalApiSettings settings);
    ~LocalApi();
    LocalApi(const LocalApi&) = delete;
    LocalApi& operator=(const LocalApi&) = delete;

    void start();
    void stop();
    int port() const; // the bound port, valid after start()

private:
    Dependencies m_deps;
    LocalApiSettings m_settings;
    std::unique_ptr<api::TokenRegistry> m_tokens;
    std::unique_ptr<QuietHttpServer> m_server;
    int m_port = 0;
};

} // namespace gp::agent
