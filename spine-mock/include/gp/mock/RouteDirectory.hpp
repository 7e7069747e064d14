#pragma once

#include <gp/mock/MockConfig.hpp>
#include <gp/mock/MockExchange.hpp>
#include <gp/mock/MockStore.hpp>

namespace gp::mock {

/// spine-mock's stand-in for the Spine Directory Service's route lookup:
///   GET /spine-directory/routing?odsCode=<ods>&interaction=<service>:<interaction>
/// For GP2GP it names the registered practice and points at the mock's own forward-reliable
/// endpoint (Spine is the hub); for EPS it names Spine itself and the reliable-request endpoint.
/// The endpoint's host is the request's Host header, so the answer works on any port.
class RouteDirectory {
public:
    RouteDirectory(const MockConfig& config, MockStore& store) : m_config(config), m_store(store) {}

    /// 200 with the route; 400 {"errors":[{"field","message"}]} for a bad query; 404 (same form)
    /// when there is no route for that ODS code or interaction.
    MockReply lookup(const MockRequest& request);

private:
    const MockConfig& m_config;
    MockStore& m_store;
};

} // namespace gp::mock
