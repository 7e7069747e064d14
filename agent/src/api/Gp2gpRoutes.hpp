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

class Gp2gpService;
class Store;

namespace api {

/// The /v1/gp2gp/ routes of the local API (docs/local-api.md, "GP2GP"). LocalApi has checked
/// the token before handing a request here. `service` may be null (GP2GP not running): the
/// read-only routes still answer from the store, the others say 503.
class Gp2gpRoutes {
public:
    Gp2gpRoutes(Gp2gpService* service, Store& store, std::size_t maxBodyBytes, Caller caller,
                RequestPractice practice = {})
        : m_service(service), m_store(store), m_maxBodyBytes(maxBodyBytes),
          m_caller(std::move(caller)), m_practice(std::move(practice)) {}

    void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

private:
    void requestRecord(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response);
    void listTransfers(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response);
    void showTransfer(const std::string& conversationId, Poco::Net::HTTPServerResponse& response);
    void acknowledge(const std::string& conversationId, Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response);

    Gp2gpService* m_service;
    Store& m_store;
    std::size_t m_maxBodyBytes;
    Caller m_caller;            // named in the audit rows of what it asks for
    RequestPractice m_practice; // the practice that requests a record
};

} // namespace api
} // namespace gp::agent
