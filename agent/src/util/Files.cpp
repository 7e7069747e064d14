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

// Closes the descriptor on every path out of the function.
class Descriptor {
public:
    explicit Descriptor(int fd) : m_fd(fd) {}
    ~Descriptor() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    int get() const { return m_fd; }

private:
    int m_fd;
};

} // namespace

void writeFileAtomically(const std::filesystem::path& path, const std::string& content,
                         unsigned mode) {
    const auto temporary = path.string() + ".tmp";
    {
        Descriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                             static_cast<mode_t>(mode)));
        if (fd.get() < 0) {
            throw fileError("cannot create", temporary);
        }
        ::fchmod(fd.get(), static_cast<mode_t>(mode));
        std::size_t written = 0;
        while (written < content.size()) {
            const auto n = ::write(fd.get(), content.data() + written, content.size() - written);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw fileError("cannot write", temporary);
            }
            written += static_cast<std::size_t>(n);
        }
        if (::fsync(fd.get()) != 0) {
            throw fileError("cannot sync", temporary);
        }
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        throw fileError("cannot rename into place", path);
    }
    const auto directory = path.has_parent_path() ? path.parent_path() : ".";
    Descriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
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
