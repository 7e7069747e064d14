#pragma once

#include <gp/mock/MockService.hpp>

#include <Poco/Net/HTTPRequestHandlerFactory.h>

namespace gp::mock {

/// Every path spine-mock serves, and which method each accepts, in one place.
class RequestHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit RequestHandlerFactory(MockService& service) : m_service(service) {}

    Poco::Net::HTTPRequestHandler*
    createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

private:
    MockService& m_service;
};

} // namespace gp::mock
