#include "RequestHandlerFactory.hpp"

#include "CoreRequestHandler.hpp"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/URI.h>

namespace gp::mock {

namespace {

using Poco::Net::HTTPRequest;

Poco::Net::HTTPRequestHandler* replyWith(MockReply reply) {
    return new CoreRequestHandler(
        [reply = std::move(reply)](const MockRequest&) { return MockAction::answer(reply); });
}

Poco::Net::HTTPRequestHandler* methodNotAllowed(const std::string& allowed) {
    MockReply reply = errorReply(405, "method", "allowed: " + allowed);
    reply.headers.emplace_back("Allow", allowed);
    return replyWith(std::move(reply));
}

} // namespace

Poco::Net::HTTPRequestHandler*
RequestHandlerFactory::createRequestHandler(const Poco::Net::HTTPServerRequest& request) {
    std::string path;
    try {
        path = Poco::URI(request.getURI()).getPath();
    } catch (const Poco::Exception& error) {
        return replyWith(errorReply(400, "uri", error.message()));
    }
    const std::string& method = request.getMethod();

    if (path == "/reliablemessaging/reliablerequest") {
        if (method != HTTPRequest::HTTP_POST) {
            return methodNotAllowed("POST");
        }
        return new CoreRequestHandler(
            [this](const MockRequest& r) { return m_service.eps().handle(r); });
    }
    if (path == "/reliablemessaging/forwardreliable") {
        if (method != HTTPRequest::HTTP_POST) {
            return methodNotAllowed("POST");
        }
        return new CoreRequestHandler(
            [this](const MockRequest& r) { return m_service.forwardReliable().handle(r); });
    }
    if (path == "/spine-directory/routing") {
        if (method != HTTPRequest::HTTP_GET) {
            return methodNotAllowed("GET");
        }
        return new CoreRequestHandler([this](const MockRequest& r) {
            return MockAction::answer(m_service.directory().lookup(r));
        });
    }
    if (path == "/_admin/practices") {
        if (method == HTTPRequest::HTTP_GET) {
            return new CoreRequestHandler([this](const MockRequest&) {
                return MockAction::answer(m_service.admin().listPractices());
            });
        }
        if (method == HTTPRequest::HTTP_POST) {
            return new CoreRequestHandler([this](const MockRequest& r) {
                return MockAction::answer(m_service.admin().addPractice(r));
            });
        }
        return methodNotAllowed("GET, POST");
    }
    if (path == "/_admin/forwards") {
        if (method != HTTPRequest::HTTP_GET) {
            return methodNotAllowed("GET");
        }
        return new CoreRequestHandler([this](const MockRequest&) {
            return MockAction::answer(m_service.admin().forwards());
        });
    }
    if (path == "/_admin/faults") {
        if (method == HTTPRequest::HTTP_GET) {
            return new CoreRequestHandler([this](const MockRequest&) {
                return MockAction::answer(m_service.admin().listFaults());
            });
        }
        if (method == HTTPRequest::HTTP_POST) {
            return new CoreRequestHandler([this](const MockRequest& r) {
                return MockAction::answer(m_service.admin().addFault(r));
            });
        }
        if (method == HTTPRequest::HTTP_DELETE) {
            return new CoreRequestHandler([this](const MockRequest&) {
                return MockAction::answer(m_service.admin().clearFaults());
            });
        }
        return methodNotAllowed("GET, POST, DELETE");
    }
    if (path == "/_admin/journal") {
        if (method != HTTPRequest::HTTP_GET) {
            return methodNotAllowed("GET");
        }
        return new CoreRequestHandler([this](const MockRequest& r) {
            return MockAction::answer(m_service.admin().journal(r));
        });
    }
    if (ErsEndpoint::serves(path)) {
        // e-RS checks methods per operation itself, so that a wrong one gets an OperationOutcome.
        return new CoreRequestHandler(
            [this](const MockRequest& r) { return m_service.ers().handle(r); });
    }
    if (path.rfind("/_poll/", 0) == 0) {
        if (method != HTTPRequest::HTTP_GET) {
            return methodNotAllowed("GET");
        }
        return new CoreRequestHandler(
            [this](const MockRequest& r) { return m_service.eps().poll(r); });
    }
    if (path == "/_admin/eps/dispensed" || path == "/_admin/eps/with-dispenser") {
        if (method != HTTPRequest::HTTP_POST) {
            return methodNotAllowed("POST");
        }
        const std::string state = path == "/_admin/eps/dispensed" ? "dispensed" : "with-dispenser";
        return new CoreRequestHandler([this, state](const MockRequest& r) {
            return MockAction::answer(m_service.eps().setItemState(r, state));
        });
    }
    if (path == "/healthz") {
        if (method != HTTPRequest::HTTP_GET) {
            return methodNotAllowed("GET");
        }
        return replyWith(AdminApi::health());
    }
    return replyWith(errorReply(404, "path", "no such endpoint: " + path));
}

} // namespace gp::mock
