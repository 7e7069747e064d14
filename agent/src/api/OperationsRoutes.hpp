#pragma once

#include "PracticeSelection.hpp"

#include <gp/agent/api/Caller.hpp>

#include <cstddef>
#include <functional>
#include <string>

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
} // namespace Poco::Net

namespace gp::agent {

class Store;

namespace api {

/// What staff do from the status page and the tray (docs/local-api.md, "Staff actions"): list
/// messages by state; retry or acknowledge a failed or expired one; retry them all; pause and
/// resume sending. Reading needs any token; acting needs Scope::Operate and is audited with the
/// caller's name. LocalApi has checked the token before handing a request here.
class OperationsRoutes {
public:
    OperationsRoutes(Store& store, std::size_t maxBodyBytes, std::function<void()> workArrived,
                     RequestPractice practice = {})
        : m_store(store), m_maxBodyBytes(maxBodyBytes), m_workArrived(std::move(workArrived)),
          m_practice(std::move(practice)) {}

    /// Whether `path` is one of these routes.
    static bool handles(const std::string& path);

    void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                const Caller& caller);

private:
    void listMessages(Poco::Net::HTTPServerRequest& request,
                      Poco::Net::HTTPServerResponse& response);
    void retry(const std::string& messageId, Poco::Net::HTTPServerResponse& response,
               const Caller& caller);
    void retryAllFailed(Poco::Net::HTTPServerResponse& response, const Caller& caller);
    void acknowledge(const std::string& messageId, Poco::Net::HTTPServerResponse& response,
                     const Caller& caller);
    void setPaused(bool paused, Poco::Net::HTTPServerResponse& response, const Caller& caller);
    void wake() const;

    Store& m_store;
    std::size_t m_maxBodyBytes;
    std::function<void()> m_workArrived;
    RequestPractice m_practice; // lists and actions reach only the messages it shows
};

} // namespace api
} // namespace gp::agent
