#pragma once

#include <gp/messaging/ids/RandomSource.hpp>
#include <gp/mock/AdminApi.hpp>
#include <gp/mock/Clock.hpp>
#include <gp/mock/EpsEndpoint.hpp>
#include <gp/mock/ErsEndpoint.hpp>
#include <gp/mock/FaultPlan.hpp>
#include <gp/mock/ForwardEndpoint.hpp>
#include <gp/mock/Forwarder.hpp>
#include <gp/mock/MockConfig.hpp>
#include <gp/mock/MockStore.hpp>
#include <gp/mock/RouteDirectory.hpp>
#include <gp/mock/Waiter.hpp>

namespace gp::mock {

/// Everything spine-mock serves, wired together but without sockets: the store in the state
/// directory, the fault plan (seeded from mock.faults), the practice registry (seeded from
/// mock.registry), the EPS and forward-reliable endpoints, the forwarder, the route directory
/// and the admin API. The forwarder's thread runs only once started.
class MockService {
public:
    /// Throws std::runtime_error when the state directory, the faults file or the registry file
    /// cannot be used.
    MockService(MockConfig config, const Clock& clock, messaging::ids::RandomSource& random,
                Waiter& waiter);

    const MockConfig& config() const { return m_config; }
    MockStore& store() { return m_store; }
    FaultPlan& faults() { return m_faults; }
    EpsEndpoint& eps() { return m_eps; }
    ForwardEndpoint& forwardReliable() { return m_forwardEndpoint; }
    Forwarder& forwarder() { return m_forwarder; }
    RouteDirectory& directory() { return m_directory; }
    AdminApi& admin() { return m_admin; }
    ErsEndpoint& ers() { return m_ers; }

private:
    MockConfig m_config;
    MockStore m_store;
    FaultPlan m_faults;
    // Declared before the endpoints and destroyed after them; its thread is joined before the
    // store goes.
    Forwarder m_forwarder;
    EpsEndpoint m_eps;
    ForwardEndpoint m_forwardEndpoint;
    RouteDirectory m_directory;
    AdminApi m_admin;
    ErsEndpoint m_ers;
};

} // namespace gp::mock
