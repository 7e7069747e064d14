#include "PostgresServer.hpp"

#include "PostgresTestDatabase.hpp"
#include "ProcessHarness.hpp"

#include <fstream>
#include <stdexcept>

namespace gp::bench {

namespace {

std::string firstLine(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    return line;
}

/// Runs pg-server.sh COMMAND DIR; its output goes to DIR's sibling log, quoted on failure.
void runScript(const std::string& command, const std::filesystem::path& dir) {
    const auto log = dir.parent_path() / ("pg-server-" + command + ".log");
    test::ChildProcess script(GP_PG_SERVER_SCRIPT, {command, dir.string()}, log);
    const int code = script.waitForExit(std::chrono::minutes(2));
    if (code != 0) {
        std::ifstream in(log);
        const std::string output((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
        throw std::runtime_error("pg-server.sh " + command + " failed (" + std::to_string(code) +
                                 "): " + output);
    }
}

} // namespace

bool PostgresServer::available() {
    // Where Debian keeps each major version's server, as pg-server.sh looks for it.
    std::error_code error;
    for (const auto& candidate :
         std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
        if (std::filesystem::exists(candidate.path() / "bin" / "initdb")) {
            return true;
        }
    }
    return false;
}

PostgresServer::PostgresServer(std::filesystem::path dir) : m_dir(std::move(dir)) {
    std::filesystem::create_directories(m_dir.parent_path());
    runScript("start", m_dir);
    m_url = firstLine(m_dir / "url");
    const auto clusterPath = m_dir / "cluster-path";
    const std::filesystem::path cluster = std::filesystem::exists(clusterPath)
                                              ? std::filesystem::path(firstLine(clusterPath))
                                              : m_dir / "cluster";
    m_pid = std::stoi(firstLine(cluster / "data" / "postmaster.pid"));

    // Back to the durable defaults. ALTER SYSTEM writes postgresql.auto.conf, read after the
    // test settings in postgresql.conf; all three take effect on a reload.
    test::PostgresTestDatabase admin(m_url);
    for (const char* setting : {"fsync", "synchronous_commit", "full_page_writes"}) {
        admin.exec(std::string("ALTER SYSTEM SET ") + setting + " = on");
    }
    admin.exec("SELECT pg_reload_conf()");
    const bool durable = test::waitUntil([&] {
        return admin.scalar("SHOW fsync") == "on" && admin.scalar("SHOW full_page_writes") == "on";
    });
    if (!durable) {
        throw std::runtime_error("the benchmark's PostgreSQL server did not turn fsync back on");
    }
}

PostgresServer::~PostgresServer() {
    try {
        runScript("stop", m_dir);
    } catch (const std::exception&) {
        // A destructor must not throw; pg-server.sh start clears a server left behind.
    }
}

} // namespace gp::bench
