#pragma once

#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gp::agent {

/// Serves accepted connections on worker threads started on demand, up to a limit, each of
/// which ends once it has waited `idleTime` without work. An idle server therefore keeps no
/// worker and nothing of it wakes; Poco's TCPServerDispatcher keeps its last thread for ever
/// and wakes it every idle period to ask whether it may end.
class ConnectionWorkers {
public:
    struct Limits {
        int maxThreads = 8;
        int maxQueued = 64; // connections waiting for a worker; more are closed at once
        std::chrono::milliseconds idleTime{5000};
    };

    /// `threadName` (at most 15 characters) names the workers in ps and /proc.
    ConnectionWorkers(Poco::Net::TCPServerConnectionFactory::Ptr factory, Limits limits,
                      std::string threadName);
    ~ConnectionWorkers();
    ConnectionWorkers(const ConnectionWorkers&) = delete;
    ConnectionWorkers& operator=(const ConnectionWorkers&) = delete;

    /// Queues the connection for a worker, starting one if none is free and the limit allows.
    void serve(const Poco::Net::StreamSocket& socket);
    /// Refuses new connections, drops queued ones, shuts down the sockets of those being served
    /// (so a handler blocked reading or writing returns at once) and joins every worker.
    void stop();
    /// Workers alive now (for tests and benchmarks).
    int threadCount() const;

private:
    struct Worker {
        std::thread thread;
        bool finished = false;
    };
    void work(Worker& self);
    void joinFinishedLocked(std::vector<std::thread>& toJoin);

    Poco::Net::TCPServerConnectionFactory::Ptr m_factory;
    const Limits m_limits;
    const std::string m_threadName;

    mutable std::mutex m_mutex;
    std::condition_variable m_workArrived;
    std::deque<Poco::Net::StreamSocket> m_queue;
    std::list<Worker> m_workers;                    // stable addresses: each worker holds its own
    std::list<Poco::Net::StreamSocket> m_inService; // shut down by stop()
    int m_idle = 0;
    bool m_stopping = false;
};

} // namespace gp::agent
