#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace gp::agent {

/// Writes `content` to a temporary file beside `path`, fsyncs it, renames it over `path` and
/// fsyncs the directory, so a reader sees the old file or the whole new one, even after a crash.
/// Throws std::runtime_error naming the file on failure.
/// `owner`, when given, is set on the new file before it replaces the old one (root only), so a
/// file root rewrites for the agent's user stays readable by that user at every moment.
struct FileOwner {
    unsigned uid = 0;
    unsigned gid = 0;
};
void writeFileAtomically(const std::filesystem::path& path, const std::string& content,
                         unsigned mode = 0644, std::optional<FileOwner> owner = std::nullopt);

std::string readWholeFile(const std::filesystem::path& path);

/// An open file descriptor, closed when the object goes.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) noexcept : m_fd(fd) {}
    ~FileDescriptor();
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const noexcept { return m_fd; }
    bool ok() const noexcept { return m_fd >= 0; }

private:
    int m_fd;
};

/// write(2) until all of `data` is written, retrying on EINTR. False on an error (errno set).
bool writeAll(int fd, const char* data, std::size_t size);

/// An exclusive advisory lock (flock) on a file, held for the object's life. Two gp-agent
/// processes must never share one state directory.
class FileLock {
public:
    explicit FileLock(const std::filesystem::path& path); // throws if another process holds it
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    int m_fd = -1;
};

} // namespace gp::agent
