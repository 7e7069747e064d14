#pragma once

// The benchmarks' own PostgreSQL server: started with tests/support/pg-server.sh in a directory
// of the benchmark's, then set back to PostgreSQL's durable defaults (fsync, synchronous_commit
// and full_page_writes on), which the test server turns off. Figures measured on a server that
// does not flush its WAL would say nothing about a hosted deployment. Stopped and removed in the
// destructor.

#include <filesystem>
#include <string>

namespace gp::bench {

class PostgresServer {
public:
    /// Starts the server under `dir` (created); throws std::runtime_error with the script's
    /// words when it cannot (no PostgreSQL binaries, no free port).
    explicit PostgresServer(std::filesystem::path dir);
    ~PostgresServer();
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    /// postgresql://postgres@127.0.0.1:PORT/postgres
    const std::string& url() const { return m_url; }
    /// The postmaster's process id: its CPU and its backends' (processTreeCpuMillis).
    int pid() const { return m_pid; }

    /// Whether the PostgreSQL server binaries are installed, so a caller can skip without them.
    static bool available();

private:
    std::filesystem::path m_dir;
    std::string m_url;
    int m_pid = -1;
};

} // namespace gp::bench
