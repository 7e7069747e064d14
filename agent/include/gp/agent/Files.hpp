#pragma once

#include <filesystem>
#include <string>

namespace gp::agent {

/// Writes `content` to a temporary file beside `path`, fsyncs it, renames it over `path` and
/// fsyncs the directory, so a reader sees the old file or the whole new one, even after a crash.
/// Throws std::runtime_error naming the file on failure.
void writeFileAtomically(const std::filesystem::path& path, const std::string& content,
                         unsigned mode = 0644);

std::string readWholeFile(const std::filesystem::path& path);

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
