#include "MappedFile.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace gp::agent {

MappedFile::~MappedFile() {
    if (m_address != nullptr) {
        ::munmap(m_address, m_size);
    }
}

Status MappedFile::open(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return failure("inbox",
                       std::string("cannot open the received body: ") + std::strerror(errno));
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        const int error = errno;
        ::close(fd);
        return failure("inbox",
                       std::string("cannot read the received body: ") + std::strerror(error));
    }
    m_size = static_cast<std::size_t>(info.st_size);
    if (m_size == 0) {
        ::close(fd); // mmap of nothing fails; an empty view is what the parser should see
        return success();
    }
    void* address = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int error = errno;
    ::close(fd); // the mapping keeps the file open
    if (address == MAP_FAILED) {
        m_size = 0;
        return failure("inbox",
                       std::string("cannot map the received body: ") + std::strerror(error));
    }
    m_address = address;
    return success();
}

} // namespace gp::agent
