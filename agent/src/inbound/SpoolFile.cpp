#include "SpoolFile.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace gp::agent {

namespace {

Error systemError(const std::string& what, int error) {
    return failure("inbox", what + ": " + std::strerror(error));
}

Status syncDirectory(const std::filesystem::path& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return systemError("cannot open the inbox directory", errno);
    }
    const int rc = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (rc != 0) {
        return systemError("cannot sync the inbox directory", error);
    }
    return success();
}

} // namespace

SpoolFile::SpoolFile(std::filesystem::path path) : m_path(std::move(path)) {}

SpoolFile::~SpoolFile() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
    if (!m_keep && !m_path.empty()) {
        std::error_code ignored;
        std::filesystem::remove(m_path, ignored);
    }
}

Status SpoolFile::open() {
    m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (m_fd < 0) {
        const int error = errno;
        m_path.clear(); // not ours: never remove it
        return systemError("cannot create a file in the inbox directory", error);
    }
    return success();
}

Status SpoolFile::append(const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t written = ::write(m_fd, data, size);
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return systemError("cannot write the received body", errno);
        }
        data += written;
        size -= static_cast<std::size_t>(written);
        m_size += written;
    }
    return success();
}

Status SpoolFile::finish() {
    if (::fsync(m_fd) != 0) {
        return systemError("cannot sync the received body", errno);
    }
    const int rc = ::close(m_fd);
    m_fd = -1;
    if (rc != 0) {
        return systemError("cannot close the received body", errno);
    }
    return success();
}

Status SpoolFile::publish(const std::filesystem::path& preferred,
                          const std::filesystem::path& fallback) {
    // link() fails rather than replace, unlike rename(): an earlier copy of the same message may
    // still be waiting to be processed under the preferred name.
    if (::link(m_path.c_str(), preferred.c_str()) == 0) {
        std::error_code ignored;
        std::filesystem::remove(m_path, ignored);
        m_path = preferred;
    } else if (errno == EEXIST) {
        if (::rename(m_path.c_str(), fallback.c_str()) != 0) {
            return systemError("cannot name the received body", errno);
        }
        m_path = fallback;
    } else {
        return systemError("cannot name the received body", errno);
    }
    return syncDirectory(m_path.parent_path());
}

} // namespace gp::agent
