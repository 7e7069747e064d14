#pragma once

// What the fault matrix's rows share (tests/integration/FaultMatrixTest.cpp): a spine-mock, the
// fault proxy in front of it, an agent that reaches the Spine only through the proxy and whose
// disk can be made full or failing, and the questions the rows ask of them.

#include "FaultProxy.hpp"
#include "ProcessHarness.hpp"

#include <Poco/JSON/Array.h>
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

namespace gp::test {

/// Sets environment variables for the children started in its lifetime, then puts back what was
/// there. (A child inherits the environment when it is forked, inside Agent::start.)
class ScopedEnvironment {
public:
    explicit ScopedEnvironment(const std::map<std::string, std::string>& variables) {
        for (const auto& [name, value] : variables) {
            const char* old = std::getenv(name.c_str());
            m_saved[name] = old ? std::optional<std::string>(old) : std::nullopt;
            ::setenv(name.c_str(), value.c_str(), 1);
        }
    }
    ~ScopedEnvironment() {
        for (const auto& [name, old] : m_saved) {
            if (old) {
                ::setenv(name.c_str(), old->c_str(), 1);
            } else {
                ::unsetenv(name.c_str());
            }
        }
    }
    ScopedEnvironment(const ScopedEnvironment&) = delete;
    ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

private:
    std::map<std::string, std::optional<std::string>> m_saved;
};

/// The agent's disk, through the preloaded shim (tests/support/faulty-disk/): full (writes fail
/// with ENOSPC) or failing (writes and syncs fail with EIO) while the control file exists.
class FaultyDisk {
public:
    explicit FaultyDisk(std::filesystem::path control) : m_control(std::move(control)) {}
    void fill() const { std::ofstream(m_control) << "ENOSPC\n"; }
    void fail() const { std::ofstream(m_control) << "EIO\n"; }
    void heal() const { std::filesystem::remove(m_control); }

    /// The environment that makes a process's writes under `dir` obey the control file.
    std::map<std::string, std::string> environment(const std::filesystem::path& dir) const {
        const char* asan = std::getenv("ASAN_OPTIONS");
        return {{"LD_PRELOAD", GP_FAULTY_DISK_LIB},
                {"GP_FAULTY_DISK_DIR", dir.string()},
                {"GP_FAULTY_DISK_CONTROL", m_control.string()},
                // A sanitizer build wants its runtime first; the shim only wraps libc calls.
                {"ASAN_OPTIONS",
                 std::string(asan ? asan : "") + (asan ? ":" : "") + "verify_asan_link_order=0"}};
    }

private:
    std::filesystem::path m_control;
};

/// Timeouts short enough that each row takes seconds (the harness already shortens retries).
inline const std::string kFastAgent = "http.timeout = PT2S\nhttp.connectTimeout = PT1S\n";

struct FaultMatrix {
    TempDir dir{"gp-faults"};
    SpineMock mock{dir.path() / "mock"};
    std::unique_ptr<FaultProxy> proxy;
    std::unique_ptr<Agent> agent;
    FaultyDisk disk{dir.path() / "disk-fault"};

    enum class Disk { Healthy, Faulty };

    explicit FaultMatrix(const std::string& agentConfig = "", Disk diskKind = Disk::Healthy) {
        mock.start();
        proxy = std::make_unique<FaultProxy>("127.0.0.1", mock.port());
        const auto ersToken = dir.path() / "ers-token";
        std::ofstream(ersToken) << "test-ers-token\n";
        std::filesystem::permissions(ersToken, std::filesystem::perms::owner_read |
                                                   std::filesystem::perms::owner_write);
        agent = std::make_unique<Agent>(
            dir.path() / "agent", proxy->baseUrl(),
            kFastAgent + "ers.url = " + proxy->baseUrl() +
                "/referrals/FHIR/STU3\ners.tokenFile = " + ersToken.string() + "\n" + agentConfig);
        if (diskKind == Disk::Faulty) {
            ScopedEnvironment preload(disk.environment(agent->stateDir()));
            agent->start();
        } else {
            agent->start();
        }
    }

    std::string accept(const std::string& json = prescriptionJson()) const {
        const auto reply = agent->submit(json);
        REQUIRE_MESSAGE(reply.status == 202, reply.body);
        return parseJsonObject(reply.body)->getValue<std::string>("messageId");
    }

    int attempts(const std::string& messageId) const {
        return agent->message(messageId)->getValue<int>("attempts");
    }

    /// Whether the message's history has `event` with `detailPart` in its detail.
    bool historyHas(const std::string& messageId, const std::string& event,
                    const std::string& detailPart) const {
        const auto history = agent->message(messageId)->getArray("history");
        for (unsigned i = 0; i < history->size(); ++i) {
            const auto row = history->getObject(i);
            if (row->getValue<std::string>("event") == event &&
                row->getValue<std::string>("detail").find(detailPart) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

    /// Journal entries of one MessageId, in order.
    std::vector<Poco::JSON::Object::Ptr> journalOf(const std::string& messageId) {
        std::vector<Poco::JSON::Object::Ptr> entries;
        for (const auto& entry : mock.journal()) {
            if (entry->getValue<std::string>("messageId") == messageId) {
                entries.push_back(entry);
            }
        }
        return entries;
    }

    Poco::JSON::Object::Ptr status() const {
        return parseJsonObject(agent->api().get("/v1/status").body);
    }
};

} // namespace gp::test
