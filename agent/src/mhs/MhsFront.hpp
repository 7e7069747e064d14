#pragma once

#include <gp/agent/Clock.hpp>
#include <gp/agent/eps/EpsSubmissions.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <functional>
#include <memory>
#include <string>

namespace gp::agent {
class QuietHttpServer;
}

namespace gp::agent::mhs {

/// The MHS-adaptor-compatible front (docs/mhs-compat.md): `POST /` as the NHS MHS adaptor's
/// outbound service takes it, for systems built against that adaptor. Loopback only (the
/// settings refuse anything else): like the adaptor's, its callers are not authenticated.
/// A request goes out for the practice its X-Practice-ODS header names, else the default: the
/// adaptor's own ods-code header names the recipient, not the sender, so it cannot say.
class MhsFront {
public:
    struct Settings {
        std::string bind = "127.0.0.1";
        int port = 7672; // 0 picks a free port
        std::size_t maxBodyBytes = 6 * 1024 * 1024;
        int threads = 4;
    };
    struct Dependencies {
        Store& store;
        const Clock& clock;
        messaging::ids::RandomSource& random;
        EpsRouting routing;                // where the EPS interactions go (the default practice)
        std::function<void()> workArrived; // wakes the dispatcher after a commit
        /// The practices a request may name in X-Practice-ODS (docs/multi-practice.md); null:
        /// `routing`'s practice alone, and a request naming one is refused.
        const PracticeDirectory* practices = nullptr;
    };

    MhsFront(Dependencies dependencies, Settings settings);
    ~MhsFront();
    MhsFront(const MhsFront&) = delete;
    MhsFront& operator=(const MhsFront&) = delete;

    void start();
    void stop();
    int port() const { return m_port; } // the bound port, valid after start()

    struct Context;

private:
    std::unique_ptr<Context> m_context;
    std::unique_ptr<QuietHttpServer> m_server;
    int m_port = 0;
};

} // namespace gp::agent::mhs
