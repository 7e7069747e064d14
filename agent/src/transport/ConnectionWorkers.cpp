#include "ConnectionWorkers.hpp"

#include <Poco/Logger.h>
#include <Poco/Net/TCPServerConnection.h>

#include <pthread.h>
#include <sys/socket.h>

#include <memory>

namespace gp::agent {

namespace {

Poco::Logger& logger() {
    return Poco::Logger::get("gp-agent.listener");
}

void serveOne(Poco::Net::TCPServerConnectionFactory& factory, const Poco::Net::StreamSocket& socket,
              const std::string& server) {
    try {
        std::unique_ptr<Poco::Net::TCPServerConnection> connection(
            factory.createConnection(socket));
        connection->run();
    } catch (const Poco::Exception& e) {
        logger().warning("%s: connection ended: %s", server, e.displayText());
    } catch (const std::exception& e) {
        logger().error("%s: connection ended: %s", server, std::string(e.what()));
    }
}

} // namespace

ConnectionWorkers::ConnectionWorkers(Poco::Net::TCPServerConnectionFactory::Ptr factory,
                                     Limits limits, std::string threadName)
    : m_factory(std::move(factory)), m_limits(limits), m_threadName(std::move(threadName)) {}

ConnectionWorkers::~ConnectionWorkers() {
    stop();
}

void ConnectionWorkers::serve(const Poco::Net::StreamSocket& socket) {
    std::vector<std::thread> finished;
    {
        std::lock_guard lock(m_mutex);
        joinFinishedLocked(finished);
        if (m_stopping || static_cast<int>(m_queue.size()) >= m_limits.maxQueued) {
            Poco::Net::StreamSocket refused(socket);
            refused.close();
            if (!m_stopping) {
                logger().warning("%s: %d connections already waiting; one refused", m_threadName,
                                 static_cast<int>(m_queue.size()));
            }
        } else {
            m_queue.push_back(socket);
            // Every idle worker may already have been promised a queued connection.
            const bool needAnother = static_cast<int>(m_queue.size()) > m_idle;
            if (needAnother && static_cast<int>(m_workers.size()) < m_limits.maxThreads) {
                Worker& worker = m_workers.emplace_back();
                worker.thread = std::thread([this, &worker] { work(worker); });
                ::pthread_setname_np(worker.thread.native_handle(),
                                     m_threadName.substr(0, 15).c_str());
            } else {
                m_workArrived.notify_one();
            }
        }
    }
    for (auto& thread : finished) {
        thread.join();
    }
}

void ConnectionWorkers::work(Worker& self) {
    std::unique_lock lock(m_mutex);
    for (;;) {
        ++m_idle;
        // The one timed wait: it ends this thread after a quiet spell, and then nothing wakes.
        const bool hasWork = m_workArrived.wait_for(lock, m_limits.idleTime,
                                                    [&] { return m_stopping || !m_queue.empty(); });
        --m_idle;
        if (m_stopping || !hasWork) {
            break;
        }
        const Poco::Net::StreamSocket socket = std::move(m_queue.front());
        m_queue.pop_front();
        const auto inService = m_inService.insert(m_inService.end(), socket);
        lock.unlock();
        serveOne(*m_factory, socket, m_threadName);
        lock.lock();
        m_inService.erase(inService);
    }
    self.finished = true; // joined by the next serve() or by stop()
}

void ConnectionWorkers::joinFinishedLocked(std::vector<std::thread>& toJoin) {
    for (auto worker = m_workers.begin(); worker != m_workers.end();) {
        if (worker->finished) {
            toJoin.push_back(std::move(worker->thread));
            worker = m_workers.erase(worker);
        } else {
            ++worker;
        }
    }
}

void ConnectionWorkers::stop() {
    std::vector<std::thread> all;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        for (auto& waiting : m_queue) {
            waiting.close();
        }
        m_queue.clear();
        // As Poco's HTTPServer::stopAll(true) does: a connection in progress is cut off, so a
        // keep-alive client or a slow upload cannot hold the agent's shutdown.
        for (const auto& socket : m_inService) {
            const int fd = socket.impl()->sockfd();
            if (fd >= 0) {
                ::shutdown(fd, SHUT_RDWR);
            }
        }
        for (auto& worker : m_workers) {
            all.push_back(std::move(worker.thread));
        }
        m_workArrived.notify_all();
    }
    for (auto& thread : all) {
        if (thread.joinable()) {
            thread.join();
        }
    }
    std::lock_guard lock(m_mutex);
    m_workers.clear();
}

int ConnectionWorkers::threadCount() const {
    std::lock_guard lock(m_mutex);
    int alive = 0;
    for (const auto& worker : m_workers) {
        alive += worker.finished ? 0 : 1;
    }
    return alive;
}

} // namespace gp::agent
