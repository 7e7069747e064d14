#include "TrayTestSupport.hpp"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <stdexcept>

namespace gp::tray::test {

void ensureQtApp() {
    static int argc = 1;
    static char name[] = "tray_tests";
    static char* argv[] = {name, nullptr};
    if (QCoreApplication::instance() == nullptr) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
        // Never deleted: destroying it from a static destructor, after Qt's own statics are
        // gone, crashes at exit.
        new QCoreApplication(argc, argv);
    }
}

bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    QDeadlineTimer deadline(timeout);
    while (!condition()) {
        if (deadline.hasExpired()) {
            return false;
        }
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 20);
    }
    return true;
}

QUrl unusedLocalUrl() {
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0)) {
        throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    const auto port = probe.serverPort();
    probe.close();
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
}

const TestPki& testPki() {
    static QTemporaryDir directory;
    static const TestPki pki = [] {
        ensureQtApp();
        QProcess script;
        script.start(QStringLiteral("sh"), {QStringLiteral(GP_TEST_PKI_SCRIPT), directory.path()});
        if (!script.waitForFinished(120000) || script.exitCode() != 0) {
            throw std::runtime_error("make-test-pki.sh failed: " +
                                     script.readAllStandardError().toStdString());
        }
        return TestPki{directory.filePath(QStringLiteral("ca.pem")),
                       directory.filePath(QStringLiteral("practice-a.pem")),
                       directory.filePath(QStringLiteral("practice-a.key"))};
    }();
    return pki;
}

FakeAgent::FakeAgent(const TestPki* tls) {
    ensureQtApp();
    if (tls != nullptr) {
        QFile keyFile(tls->agentKeyFile);
        if (!keyFile.open(QIODevice::ReadOnly)) {
            throw std::runtime_error("cannot read " + tls->agentKeyFile.toStdString());
        }
        auto configuration = QSslConfiguration::defaultConfiguration();
        configuration.setLocalCertificateChain(QSslCertificate::fromPath(tls->agentCertFile));
        configuration.setPrivateKey(QSslKey(&keyFile, QSsl::Ec));
        auto server = std::make_unique<QSslServer>();
        server->setSslConfiguration(configuration);
        m_server = std::move(server);
        m_scheme = QStringLiteral("https");
    } else {
        m_server = std::make_unique<QTcpServer>();
    }
    if (!m_server->listen(QHostAddress::LocalHost, 0)) {
        throw std::runtime_error("FakeAgent cannot listen on 127.0.0.1");
    }
    // A TLS connection is handed over once its handshake is done, hence this signal.
    QObject::connect(m_server.get(), &QTcpServer::pendingConnectionAvailable, [this] {
        while (auto* socket = m_server->nextPendingConnection()) {
            QObject::connect(socket, &QTcpSocket::readyRead, [this, socket] { serve(socket); });
            QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    });
}

QUrl FakeAgent::url() const {
    return QUrl(QStringLiteral("%1://127.0.0.1:%2").arg(m_scheme).arg(m_server->serverPort()));
}

void FakeAgent::setReply(const QByteArray& path, int status, const QByteArray& body) {
    m_replies[path] = Reply{status, body};
}

int FakeAgent::requestCount(const QByteArray& path) const {
    int count = 0;
    for (const auto& request : m_requests) {
        count += request.path == path ? 1 : 0;
    }
    return count;
}

void FakeAgent::serve(QTcpSocket* socket) {
    // Requests are small: wait until the head and any declared body have arrived.
    const auto buffered = socket->peek(1 << 16);
    const auto headEnd = buffered.indexOf("\r\n\r\n");
    if (headEnd < 0) {
        return;
    }
    const auto lines = buffered.left(headEnd).split('\n');
    qsizetype contentLength = 0;
    Request request;
    const auto requestLine = lines.first().trimmed().split(' ');
    request.method = requestLine.value(0);
    request.path = requestLine.value(1);
    for (const auto& line : lines) {
        const auto colon = line.indexOf(':');
        const auto name = line.left(colon).trimmed().toLower();
        if (name == "content-length") {
            contentLength = line.mid(colon + 1).trimmed().toLongLong();
        } else if (name == "authorization") {
            request.authorization = line.mid(colon + 1).trimmed();
        }
    }
    if (buffered.size() < headEnd + 4 + contentLength) {
        return;
    }
    socket->read(headEnd + 4 + contentLength);
    m_requests.push_back(request);

    Reply reply{404, R"({"errors": [{"field": "", "message": "no such route"}]})"};
    if (const auto found = m_replies.find(request.path); found != m_replies.end()) {
        reply = found->second;
    }
    QByteArray out = "HTTP/1.1 " + QByteArray::number(reply.status) + " Scripted\r\n";
    out += "Content-Type: application/json\r\nConnection: close\r\n";
    out += "Content-Length: " + QByteArray::number(reply.body.size()) + "\r\n\r\n" + reply.body;
    socket->write(out);
    socket->disconnectFromHost();
}

QByteArray statusJson(const QByteArray& countsJson, const QByteArray& extraFields) {
    QByteArray json =
        R"({"counts": )" + countsJson +
        R"(, "oldestQueuedAgeSeconds": null, "lastAckedAt": "2026-11-21T09:00:00.000Z",)"
        R"( "lastTransportError": null)";
    if (!extraFields.isEmpty()) {
        json += ", " + extraFields;
    }
    return json + "}";
}

} // namespace gp::tray::test
