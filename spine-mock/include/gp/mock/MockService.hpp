#pragma once

#include <gp/messaging/ids/RandomSource.hpp>
#include <gp/mock/AdminApi.hpp>
#include <gp/mock/Clock.hpp>
#include <gp/mock/EpsEndpoint.hpp>
#include <gp/mock/FaultPlan.hpp>
#include <gp/mock/MockConfig.hpp>
#include <gp/mock/MockStore.hpp>
#include <gp/mock/Waiter.hpp>

namespace gp::mock {

/// Everything spine-mock serves, wired together but without sockets: the store in the state
/// directory, the fault plan (seeded from mock.faults), the EPS endpoint and the admin API.
class MockService {
public:
    /// Throws std::runtime_error when the state directory or the faults file cannot be used.
    MockService(MockConfig config, const Clock& clock, messaging::ids::RandomSource& random,
                Waiter& waiter);

    const MockConfig& config() const { return m_config; }
    MockStore& store() { return m_store; }
    FaultPlan& faults() { return m_faults; }
    EpsEndpoint& eps() { return m_eps; }
    AdminApi& admin() { return m_admin; }

private:
    MockConfig m_config;
    MockStore m_store;
    FaultPlan m_faults;
    EpsEndpoint m_eps;
    AdminApi m_admin;
};

} // namespace gp::mock
