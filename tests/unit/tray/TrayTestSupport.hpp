#pragma once

// Helpers for the tray's headless tests: one QCoreApplication for the process, an event-loop
// wait with a deadline, and FakeAgent, a tiny HTTP server on 127.0.0.1 port 0 that answers
// like the agent's local API with replies the test chooses.

#include <QByteArray>
#include <QTcpServer>
#include <QUrl>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace gp::tray::test {

/// Creates the application object on first use (offscreen platform: no screen needed).
void ensureQtApp();

/// Runs the event loop until `condition` holds or `timeout` passes; returns whether it held.
bool waitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// A QUrl on 127.0.0.1 where nothing listens (a port the kernel gave and we gave back).
QUrl unusedLocalUrl();

/// Certificates from tests/support/make-test-pki.sh, made once per test process.
struct TestPki {
    QString caFile;        // the root the agent's certificate chains to
    QString agentCertFile; // practice-a.pem: localhost and 127.0.0.1, with its issuer
    QString agentKeyFile;
};
const TestPki& testPki();

class FakeAgent {
public:
    /// Plain HTTP; with a PKI, HTTPS with the PKI's agent certificate.
    explicit FakeAgent(const TestPki* tls = nullptr);
    struct Request {
        QByteArray method;
        QByteArray path;
        QByteArray authorization;
    };
    struct Reply {
        int status = 200;
        QByteArray body;
    };

    QUrl url() const;
    /// Every later request for `path` gets this reply (until replaced). Unset paths get 404.
    void setReply(const QByteArray& path, int status, const QByteArray& body);
    const std::vector<Request>& requests() const { return m_requests; }
    int requestCount(const QByteArray& path) const;

private:
    void serve(class QTcpSocket* socket);

    std::unique_ptr<QTcpServer> m_server;
    QString m_scheme = QStringLiteral("http");
    std::map<QByteArray, Reply> m_replies;
    std::vector<Request> m_requests;
};

/// A /v1/status body in the agent's shape, with the counts given and the rest idle.
QByteArray statusJson(const QByteArray& countsJson = R"({"acked": 4})",
                      const QByteArray& extraFields = "");

} // namespace gp::tray::test
