// The fault matrix's TCP proxy, each mode checked against a real spine-mock behind it: what the
// client sees, and what reached the server.

#include "FaultProxy.hpp"

#include "ProcessHarness.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

using namespace gp::test;

namespace {

struct Reply {
    int status = 0;
    std::string body;
};

/// One HTTP exchange through `port`; throws when the connection fails in any way.
Reply exchange(int port, const std::string& method, const std::string& path,
               const std::string& body = "", int timeoutMillis = 5000) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(0, timeoutMillis * 1000));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    auto& in = session.receiveResponse(response);
    Reply reply;
    reply.status = static_cast<int>(response.getStatus());
    Poco::StreamCopier::copyToString(in, reply.body);
    return reply;
}

const std::string kRule =
    R"({"interaction": "PROXY_TEST", "times": 1, "fault": {"type": "http", "status": 503}})";

struct ProxyBench {
    TempDir dir{"gp-proxy"};
    SpineMock mock{dir.path() / "mock"};
    std::unique_ptr<FaultProxy> proxy;

    ProxyBench() {
        mock.start();
        proxy = std::make_unique<FaultProxy>("127.0.0.1", mock.port());
    }

    bool ruleStored() { return exchange(mock.port(), "GET", "/_admin/faults").body != "[]"; }
};

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("fault proxy: passes through, refuses, and passes through again on the same port") {
        ProxyBench b;
        const int port = b.proxy->port();
        CHECK(exchange(port, "GET", "/_admin/journal").status == 200);

        b.proxy->refuse();
        CHECK_THROWS(exchange(port, "GET", "/_admin/journal"));

        b.proxy->passThrough();
        CHECK(b.proxy->port() == port);
        CHECK(exchange(port, "GET", "/_admin/journal").status == 200);
    }

    TEST_CASE("fault proxy: a hung connection is never answered and never reaches the server") {
        ProxyBench b;
        b.proxy->hang();
        CHECK_THROWS(exchange(b.proxy->port(), "POST", "/_admin/faults", kRule, 300));
        CHECK_FALSE(b.ruleStored());
    }

    TEST_CASE("fault proxy: a request reset after N bytes leaves the server with N of them") {
        ProxyBench b;
        const std::string big(200'000, ' ');
        b.proxy->resetAfter(1000);
        CHECK_THROWS(exchange(b.proxy->port(), "POST", "/_admin/faults", kRule + big));
        CHECK(b.proxy->resetsDone() == 1);
        CHECK(b.proxy->bytesUpstream() == 1000);
        CHECK_FALSE(b.ruleStored());
        // One-shot: the next request passes.
        CHECK(b.proxy->mode() == FaultProxy::Mode::Pass);
        CHECK(exchange(b.proxy->port(), "POST", "/_admin/faults", kRule).status / 100 == 2);
    }

    TEST_CASE("fault proxy: a swallowed reply was processed by the server") {
        ProxyBench b;
        b.proxy->swallowReplies(1);
        CHECK_THROWS(exchange(b.proxy->port(), "POST", "/_admin/faults", kRule));
        CHECK(b.proxy->repliesSwallowed() == 1);
        CHECK(b.ruleStored());
    }

    TEST_CASE("fault proxy: a trickled reply arrives whole") {
        ProxyBench b;
        b.mock.injectFault(kRule);
        const Reply direct = exchange(b.mock.port(), "GET", "/_admin/faults");
        b.proxy->trickle(Pacing{7, std::chrono::milliseconds(1)});
        const Reply trickled = exchange(b.proxy->port(), "GET", "/_admin/faults");
        CHECK(trickled.status == 200);
        CHECK(trickled.body == direct.body);
    }

    TEST_CASE(
        "fault proxy: held replies leave the client waiting, the server having processed it") {
        ProxyBench b;
        b.proxy->holdReplies();
        CHECK_THROWS(exchange(b.proxy->port(), "POST", "/_admin/faults", kRule, 300));
        CHECK(b.ruleStored());
        CHECK(b.proxy->repliesHeld() >= 1);
        b.proxy->passThrough();
        CHECK(exchange(b.proxy->port(), "GET", "/_admin/journal").status == 200);
    }

    TEST_CASE("fault proxy: in front of two backends it takes turns and skips one that is gone") {
        TempDir dir{"gp-proxy-lb"};
        SpineMock first{dir.path() / "first"};
        SpineMock second{dir.path() / "second"};
        first.start();
        second.start();
        first.injectFault(kRule); // tells the two apart: only the first has a rule
        FaultProxy balancer("127.0.0.1", std::vector<int>{first.port(), second.port()});
        const auto servedByFirst = [&] {
            return exchange(balancer.port(), "GET", "/_admin/faults").body != "[]";
        };
        // Each exchange is a new connection, so consecutive ones reach different backends.
        const bool a = servedByFirst();
        const bool b = servedByFirst();
        CHECK(a != b);
        CHECK(balancer.backendsSkipped() == 0);

        second.kill9();
        for (int i = 0; i < 4; ++i) {
            CHECK(servedByFirst());
        }
        CHECK(balancer.backendsSkipped() == 2); // every other turn was the second's
    }

} // TEST_SUITE
