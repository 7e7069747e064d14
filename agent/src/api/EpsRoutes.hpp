#pragma once

#include "Caller.hpp"
#include "PracticeSelection.hpp"

#include <cstddef>
#include <functional>
#include <string>

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
} // namespace Poco::Net

namespace gp::agent {

class EpsCancellations;
class Store;

namespace api {

/// The EPS routes beyond submitting a prescription (docs/local-api.md, docs/eps.md):
/// POST /v1/eps/cancellations and GET /v1/eps/prescriptions/{prescriptionId}. LocalApi has
/// checked the token before handing a request here. `cancellations` may be null (EPS
/// cancellation not wired): the POST then answers 503; the GET still reads the store.
class EpsRoutes {
public:
    EpsRoutes(EpsCancellations* cancellations, Store& store, std::size_t maxBodyBytes,
              std::function<void()> workArrived, Caller caller, RequestPractice practice = {})
        : m_cancellations(cancellations), m_store(store), m_maxBodyBytes(maxBodyBytes),
          m_workArrived(std::move(workArrived)), m_caller(std::move(caller)),
          m_practice(std::move(practice)) {}

    /// True when the path is one of these routes (and the request was answered).
    bool handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

private:
    void cancel(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
    void showPrescription(const std::string& prescriptionId,
                          Poco::Net::HTTPServerResponse& response);

    EpsCancellations* m_cancellations;
    Store& m_store;
    std::size_t m_maxBodyBytes;
    std::function<void()> m_workArrived;
    Caller m_caller;            // named in the audit rows of what it asks for
    RequestPractice m_practice; // cancellations go out for it; reads show only what it may see
};

} // namespace api
} // namespace gp::agent
