#include <gp/agent/Files.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gp::agent {

namespace {

std::runtime_error fileError(const std::string& what, const std::filesystem::path& path) {
    return std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

} // namespace

FileDescriptor::~FileDescriptor() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

bool writeAll(int fd, const char* data, std::size_t size) {
    std::size_t written = 0;
    while (written < size) {
        const auto n = ::write(fd, data + written, size - written);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        written += static_cast<std::size_t>(n);
    }
    return true;
}

void writeFileAtomically(const std::filesystem::path& path, const std::string& content,
                         unsigned mode, std::optional<FileOwner> owner) {
    const auto temporary = path.string() + ".tmp";
    {
        FileDescriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                                 static_cast<mode_t>(mode)));
        if (fd.get() < 0) {
            throw fileError("cannot create", temporary);
        }
        ::fchmod(fd.get(), static_cast<mode_t>(mode));
        if (owner && ::fchown(fd.get(), owner->uid, owner->gid) != 0) {
            throw fileError("cannot give to its owner", temporary);
        }
        if (!writeAll(fd.get(), content.data(), content.size())) {
            throw fileError("cannot write", temporary);
        }
        if (::fsync(fd.get()) != 0) {
            throw fileError("cannot sync", temporary);
        }
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        throw fileError("cannot rename into place", path);
    }
    const auto directory = path.has_parent_path() ? path.parent_path() : ".";
    FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() >= 0) {
        ::fsync(dir.get());
    }
}

std::string readWholeFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw fileError("cannot read", path);
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

FileLock::FileLock(const std::filesystem::path& path) {
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (m_fd < 0) {
        throw fileError("cannot open lock file", path);
    }
    if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(m_fd);
        m_fd = -1;
        throw std::runtime_error("another gp-agent is already using this state directory (" +
                                 path.parent_path().string() + ")");
    }
}

FileLock::~FileLock() {
    if (m_fd >= 0) {
        ::close(m_fd); // releases the lock
    }
}

} // namespace gp::agent
