#include <gp/agent/transport/CurlTransport.hpp>

#include <Poco/Event.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>

using gp::agent::CurlTransport;
using gp::agent::HttpRequest;
using gp::agent::TransportResult;
using gp::agent::TransportSettings;

namespace {

// A POST with the given headers and body; the other fields keep their defaults.
HttpRequest postRequest(std::string url, std::vector<std::pair<std::string, std::string>> headers,
                        std::string body) {
    HttpRequest request;
    request.url = std::move(url);
    request.headers = std::move(headers);
    request.body = std::move(body);
    return request;
}

/// What the server saw of the last request.
struct Received {
    std::mutex mutex;
    std::string body;
    std::map<std::string, std::string> headers;
    bool sawExpect = false;
};

class EchoHandler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit EchoHandler(Received& received) : m_received(received) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        std::string body;
        Poco::StreamCopier::copyToString(request.stream(), body);
        {
            std::lock_guard lock(m_received.mutex);
            m_received.body = body;
            m_received.headers.clear();
            for (const auto& [name, value] : request) {
                m_received.headers[name] = value;
            }
            m_received.sawExpect = request.has("Expect");
        }
        response.setStatus(Poco::Net::HTTPResponse::HTTP_ACCEPTED);
        response.setContentType("application/octet-stream");
        response.set("X-Reply", "echo");
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.send().write(body.data(), static_cast<std::streamsize>(body.size()));
    }

private:
    Received& m_received;
};

/// Holds the reply back until the test releases it, so the client's timeout fires first.
class SlowHandler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit SlowHandler(Poco::Event& release) : m_release(release) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        std::string body;
        Poco::StreamCopier::copyToString(request.stream(), body);
        m_release.wait();
        response.setStatus(Poco::Net::HTTPResponse::HTTP_ACCEPTED);
        response.setContentLength(0);
        response.send();
    }

private:
    Poco::Event& m_release;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Factory(Received& received, Poco::Event& release) : m_received(received), m_release(release) {}

    Poco::Net::HTTPRequestHandler*
    createRequestHandler(const Poco::Net::HTTPServerRequest& request) override {
        if (request.getURI() == "/slow") {
            return new SlowHandler(m_release);
        }
        return new EchoHandler(m_received);
    }

private:
    Received& m_received;
    Poco::Event& m_release;
};

/// An in-process HTTP server on a loopback port chosen by the system.
class TestServer {
public:
    TestServer()
        : m_socket(Poco::Net::SocketAddress("127.0.0.1", 0)),
          m_server(new Factory(received, release), m_socket, makeParams()) {
        m_server.start();
    }
    ~TestServer() {
        release.set(); // a slow handler must not hold the server's shutdown
        m_server.stopAll(true);
    }

    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(m_socket.address().port()) + path;
    }
    int connectionsAccepted() const { return m_server.totalConnections(); }

    Received received;
    Poco::Event release{Poco::Event::EVENT_MANUALRESET};

private:
    static Poco::Net::HTTPServerParams::Ptr makeParams() {
        Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
        params->setKeepAlive(true);
        params->setMaxKeepAliveRequests(100);
        params->setKeepAliveTimeout(Poco::Timespan(10, 0));
        return params;
    }

    Poco::Net::ServerSocket m_socket;
    Poco::Net::HTTPServer m_server;
};

/// Reads the start of a request, then hangs up without a word.
class HangUpConnection final : public Poco::Net::TCPServerConnection {
public:
    using Poco::Net::TCPServerConnection::TCPServerConnection;

    void run() override {
        char buffer[1024];
        socket().receiveBytes(buffer, sizeof buffer);
        socket().close();
    }
};

TransportSettings quickSettings() {
    TransportSettings settings;
    settings.connectTimeout = std::chrono::milliseconds(2000);
    settings.totalTimeout = std::chrono::milliseconds(10000);
    return settings;
}

std::string binaryBody() {
    std::string body;
    for (int round = 0; round < 40; ++round) {
        for (int byte = 0; byte < 256; ++byte) {
            body.push_back(static_cast<char>(byte));
        }
    }
    return body; // 10240 bytes with NULs and every high byte
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("CurlTransport posts a binary body and reads status, headers and body") {
        TestServer server;
        CurlTransport transport(quickSettings());
        const std::string body = binaryBody();

        const TransportResult result = transport.send(
            postRequest(server.url("/reliablemessaging/intermediary"),
                        {{"SOAPAction", "urn:nhs:names:services:mm/PORX_IN020101SM31"},
                         {"Content-Type", "multipart/related; boundary=\"--=_MIME-Boundary\""}},
                        body));

        CHECK(result.failure == TransportResult::Failure::None);
        CHECK(result.failureText.empty());
        REQUIRE(result.response);
        CHECK(result.response->status == 202);
        CHECK(result.response->header("x-reply") == "echo");
        CHECK(result.response->header("Content-Type") == "application/octet-stream");
        CHECK(result.response->body == body);

        std::lock_guard lock(server.received.mutex);
        CHECK(server.received.body == body);
        CHECK(server.received.headers["SOAPAction"] ==
              "urn:nhs:names:services:mm/PORX_IN020101SM31");
        CHECK(server.received.headers["Content-Type"] ==
              "multipart/related; boundary=\"--=_MIME-Boundary\"");
        CHECK(server.received.headers["Content-Length"] == std::to_string(body.size()));
        CHECK_FALSE(server.received.sawExpect);
    }

    TEST_CASE("CurlTransport reuses one connection for consecutive posts") {
        TestServer server;
        CurlTransport transport(quickSettings());
        for (int i = 0; i < 3; ++i) {
            const TransportResult result = transport.send(
                postRequest(server.url("/echo"), {}, "message " + std::to_string(i)));
            REQUIRE(result.response);
            CHECK(result.response->body == "message " + std::to_string(i));
        }
        CHECK(server.connectionsAccepted() == 1);
    }

    TEST_CASE("CurlTransports sharing TLS sessions and DNS still keep a connection each") {
        TestServer server;
        auto share = std::make_shared<gp::agent::CurlShare>();
        CurlTransport first(quickSettings(), share);
        CurlTransport second(quickSettings(), share);
        for (int i = 0; i < 2; ++i) {
            for (CurlTransport* transport : {&first, &second}) {
                const TransportResult result =
                    transport->send(postRequest(server.url("/echo"), {}, "shared"));
                REQUIRE(result.response);
                CHECK(result.response->body == "shared");
            }
        }
        // One kept-alive connection each: a connection is never handed from one to the other,
        // which is what lets a fresh-connection request trust that nothing else rode on it.
        CHECK(server.connectionsAccepted() == 2);
    }

    TEST_CASE("CurlTransport sends a fresh-connection request on a connection of its own") {
        TestServer server;
        CurlTransport transport(quickSettings());
        for (int i = 0; i < 2; ++i) {
            HttpRequest request =
                postRequest(server.url("/echo"), {}, "create " + std::to_string(i));
            request.freshConnection = true;
            const TransportResult result = transport.send(request);
            REQUIRE(result.response);
            CHECK(result.response->body == "create " + std::to_string(i));
        }
        CHECK(server.connectionsAccepted() == 2);
    }

    TEST_CASE("CurlTransport reports a refused connection as ConnectFailed") {
        Poco::UInt16 port = 0;
        {
            Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
            port = socket.address().port();
            socket.close();
        }
        CurlTransport transport(quickSettings());
        const TransportResult result = transport.send(
            postRequest("http://127.0.0.1:" + std::to_string(port) + "/", {}, "body"));
        CHECK(result.failure == TransportResult::Failure::ConnectFailed);
        CHECK_FALSE(result.failureText.empty());
        CHECK_FALSE(result.response);
    }

    TEST_CASE("CurlTransport gives up after the total timeout") {
        TestServer server;
        TransportSettings settings = quickSettings();
        settings.totalTimeout = std::chrono::milliseconds(200);
        CurlTransport transport(settings);

        const TransportResult result = transport.send(postRequest(server.url("/slow"), {}, "body"));
        server.release.set(); // only now may the server answer

        CHECK(result.failure == TransportResult::Failure::Timeout);
        CHECK(result.failureText.find("timed out") != std::string::npos);
        CHECK_FALSE(result.response);
    }

    TEST_CASE("CurlTransport reports a server that hangs up as ConnectionReset") {
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
        Poco::Net::TCPServer server(
            new Poco::Net::TCPServerConnectionFactoryImpl<HangUpConnection>(), socket);
        server.start();

        CurlTransport transport(quickSettings());
        const TransportResult result = transport.send(postRequest(
            "http://127.0.0.1:" + std::to_string(socket.address().port()) + "/", {}, "body"));
        server.stop();

        CHECK(result.failure == TransportResult::Failure::ConnectionReset);
        CHECK_FALSE(result.failureText.empty());
        CHECK_FALSE(result.response);
    }

    TEST_CASE("CurlTransport recovers on the same handle after a failure") {
        TestServer server;
        TransportSettings settings = quickSettings();
        settings.totalTimeout = std::chrono::milliseconds(200);
        CurlTransport transport(settings);

        CHECK(transport.send(postRequest(server.url("/slow"), {}, "first")).failure ==
              TransportResult::Failure::Timeout);
        server.release.set();
        const TransportResult result =
            transport.send(postRequest(server.url("/echo"), {}, "second"));
        REQUIRE(result.response);
        CHECK(result.response->body == "second");
    }

} // TEST_SUITE
