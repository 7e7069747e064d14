#pragma once

#include <gp/agent/Clock.hpp>
#include <gp/agent/transport/ServerTls.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gp::messaging::ids {
class RandomSource;
}

namespace gp::agent {

class Store;
class QuietHttpServer;

/// The inbound MHS endpoint: Spine (or spine-mock) POSTs ebXML messages here. Each body is
/// streamed to a file in the inbox directory and fsynced, parsed, admitted to the store with the
/// acknowledgement it is answered with, and acknowledged (202) only after the commit. A duplicate
/// MessageId within its persist duration is answered with the original acknowledgement and not
/// admitted again.
class InboundEndpoint {
public:
    struct Settings {
        std::string bind = "0.0.0.0";
        int port = 7671; // 0: any free port (see port())
        std::size_t maxBodyBytes = 32 * 1024 * 1024;
        std::filesystem::path inboxDir; // <stateDir>/inbox; created if missing
        /// Our eb:PartyIds, one per practice the agent acts for, the default practice's first:
        /// a message is accepted only when its To party is one of them, and answered as it.
        std::vector<std::string> localPartyKeys;
        int maxThreads = 4;
        ServerTlsSettings tls; // no certificate: plain HTTP (test set-ups only)
    };

    /// `onAdmitted` runs on a server thread after each new message is committed (not for
    /// duplicates); it should only wake the workflow. `random` is used under a lock.
    InboundEndpoint(Settings settings, Store& store, const Clock& clock,
                    messaging::ids::RandomSource& random, std::function<void()> onAdmitted);
    ~InboundEndpoint();
    InboundEndpoint(const InboundEndpoint&) = delete;
    InboundEndpoint& operator=(const InboundEndpoint&) = delete;

    /// Binds and starts serving. Throws (Poco or std exceptions) when the port cannot be bound
    /// or the inbox directory cannot be created: a start-up error.
    void start();
    void stop();
    int port() const { return m_port; }

    struct Context; // what every request handler shares; defined in the .cpp

private:
    std::unique_ptr<Context> m_context;
    int m_port = 0;
    std::unique_ptr<QuietHttpServer> m_server;
};

} // namespace gp::agent
