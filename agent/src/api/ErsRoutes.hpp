#pragma once

#include "Caller.hpp"
#include "PracticeSelection.hpp"

#include <cstddef>
#include <string>

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
} // namespace Poco::Net

namespace gp::agent {

class ErsService;
class Store;

namespace api {

/// The /v1/ers/ routes of the local API (docs/ers.md). LocalApi has checked the token before
/// handing a request here. `service` may be null (e-RS not running): GET still answers from the
/// store, POST says 503.
class ErsRoutes {
public:
    ErsRoutes(ErsService* service, Store& store, std::size_t maxBodyBytes, Caller caller,
              RequestPractice practice = {})
        : m_service(service), m_store(store), m_maxBodyBytes(maxBodyBytes),
          m_caller(std::move(caller)), m_practice(std::move(practice)) {}

    void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

private:
    void refer(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
    void show(const std::string& requestId, Poco::Net::HTTPServerResponse& response);
    void search(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
    void cancel(const std::string& requestId, Poco::Net::HTTPServerRequest& request,
                Poco::Net::HTTPServerResponse& response);

    ErsService* m_service;
    Store& m_store;
    std::size_t m_maxBodyBytes;
    Caller m_caller;            // named in the audit rows of what it asks for
    RequestPractice m_practice; // referrals are made for it; reads show only what it may see
};

} // namespace api
} // namespace gp::agent
