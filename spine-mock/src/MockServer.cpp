#include "MockTls.hpp"
#include "RequestHandlerFactory.hpp"

#include <gp/mock/MockServer.hpp>

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Path.h>
#include <Poco/ThreadPool.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gp::mock {

MockServer::MockServer(MockService& service, ShutdownWaiter& waiter)
    : m_service(service), m_waiter(waiter) {}

MockServer::~MockServer() {
    if (m_server) {
        stop();
    }
}

void MockServer::start() {
    const auto& config = m_service.config();
    Poco::Net::ServerSocket socket = listenOn(config);
    m_port = socket.address().port();

    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(32);
    params->setMaxQueued(64);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(60, 0));
    m_threads = std::make_unique<Poco::ThreadPool>(2, 34);
    m_server = std::make_unique<Poco::Net::HTTPServer>(new RequestHandlerFactory(m_service),
                                                       *m_threads, socket, params);
    m_server->start();
}

void MockServer::stop() {
    if (!m_server) {
        return;
    }
    m_waiter.requestShutdown();
    m_server->stopAll(true);
    m_threads->joinAll();
    m_server.reset();
    m_threads.reset();
}

namespace {

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    ~FileDescriptor() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return m_fd; }
    int release() {
        const int fd = m_fd;
        m_fd = -1;
        return fd;
    }

private:
    int m_fd;
};

Error systemError(const std::string& where, const std::string& what) {
    return failure(where, what + ": " + std::strerror(errno));
}

} // namespace

Status writePortsFile(const std::string& stateDir, std::uint16_t httpPort) {
    const std::string target = Poco::Path(stateDir).append("ports.json").toString();
    const std::string temporary = target + ".tmp";
    const std::string json = "{\"http\": " + std::to_string(httpPort) + "}\n";

    FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (file.get() < 0) {
        return systemError(temporary, "cannot create");
    }
    std::size_t written = 0;
    while (written < json.size()) {
        const auto n = ::write(file.get(), json.data() + written, json.size() - written);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return systemError(temporary, "cannot write");
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(file.get()) != 0) {
        return systemError(temporary, "cannot fsync");
    }
    if (::close(file.release()) != 0) {
        return systemError(temporary, "cannot close");
    }
    if (std::rename(temporary.c_str(), target.c_str()) != 0) {
        return systemError(target, "cannot rename into place");
    }
    // The rename is durable only once the directory itself is synced.
    FileDescriptor directory(::open(stateDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (directory.get() >= 0) {
        ::fsync(directory.get());
    }
    return success();
}

} // namespace gp::mock
