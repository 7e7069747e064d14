#pragma once

#include <gp/Result.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace gp::agent {

/// A received body on its way to disk: written as it streams in, fsynced, then given its final
/// name. Removed in the destructor unless keep() was called, so an error on any path leaves no
/// file behind.
class SpoolFile {
public:
    explicit SpoolFile(std::filesystem::path path);
    ~SpoolFile();
    SpoolFile(const SpoolFile&) = delete;
    SpoolFile& operator=(const SpoolFile&) = delete;

    /// Creates the file (it must not exist), mode 0640.
    Status open();
    Status append(const char* data, std::size_t size);
    /// fsync of the file, then close.
    Status finish();

    /// Gives the finished file the name `preferred`, or `fallback` when `preferred` exists
    /// already (a name is never taken from another file), and fsyncs the directory so that the
    /// name survives a crash.
    Status publish(const std::filesystem::path& preferred, const std::filesystem::path& fallback);

    void keep() { m_keep = true; }
    const std::filesystem::path& path() const { return m_path; }
    std::int64_t size() const { return m_size; }

private:
    std::filesystem::path m_path;
    int m_fd = -1;
    std::int64_t m_size = 0;
    bool m_keep = false;
};

} // namespace gp::agent
