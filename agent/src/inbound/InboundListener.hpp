#pragma once

#include <memory>
#include <string>

namespace Poco::Net {
class HTTPServer;
}

namespace gp::agent {

/// The inbound MHS endpoint's listener. In this release it answers health checks and tells
/// Spine, with an ebXML-level 503, that inbound interactions are not yet accepted; the GP2GP
/// work adds the real endpoint behind the same port.
class InboundListener {
public:
    InboundListener(std::string bind, int port);
    ~InboundListener();
    InboundListener(const InboundListener&) = delete;
    InboundListener& operator=(const InboundListener&) = delete;

    void start();
    void stop();
    int port() const { return m_port; }

private:
    std::string m_bind;
    int m_requestedPort;
    int m_port = 0;
    std::unique_ptr<Poco::Net::HTTPServer> m_server;
};

} // namespace gp::agent
