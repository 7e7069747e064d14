#pragma once

#include <gp/agent/config/Settings.hpp>

#include <memory>

namespace gp::agent {

/// Everything a running gp-agent holds, wired together: the store (locked to this process), the
/// dispatcher, the local API and the inbound endpoint. Constructed and started by the daemon's
/// main; tests may run it in-process.
class AgentRuntime {
public:
    explicit AgentRuntime(AgentSettings settings);
    ~AgentRuntime();
    AgentRuntime(const AgentRuntime&) = delete;
    AgentRuntime& operator=(const AgentRuntime&) = delete;

    /// Opens the store, releases leases a crashed predecessor held, starts the dispatcher and
    /// both listeners, then writes <stateDir>/ports.json. Throws on any start-up failure.
    void start();
    void stop();

    int apiPort() const;
    int inboundPort() const;

private:
    struct Parts;
    AgentSettings m_settings;
    std::unique_ptr<Parts> m_parts;
};

/// Reads the API token from `file`, creating the file with a fresh random token (mode 0600)
/// when it does not exist. Throws when the file exists but is empty or unreadable.
std::string loadOrCreateApiToken(const std::filesystem::path& file);
/// Creates the named-tokens file (empty, mode 0600) when missing; refuses one others may read.
void createTokensFileIfMissing(const std::filesystem::path& file);

} // namespace gp::agent
