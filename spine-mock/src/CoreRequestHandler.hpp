#pragma once

#include <gp/mock/MockExchange.hpp>

#include <Poco/Net/HTTPRequestHandler.h>

#include <functional>

namespace gp::mock {

/// The thin adapter between Poco and the socket-free core: reads the request into a
/// MockRequest, calls the core, and carries out the MockAction on the connection.
class CoreRequestHandler final : public Poco::Net::HTTPRequestHandler {
public:
    using Core = std::function<MockAction(const MockRequest&)>;

    explicit CoreRequestHandler(Core core) : m_core(std::move(core)) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override;

private:
    Core m_core;
};

} // namespace gp::mock
