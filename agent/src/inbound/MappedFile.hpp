#pragma once

#include <gp/Result.hpp>

#include <cstddef>
#include <filesystem>
#include <string_view>

namespace gp::agent {

/// A file mapped read-only into memory, unmapped in the destructor: the parser reads a large
/// body in place, and the kernel pages it in and out as needed.
class MappedFile {
public:
    MappedFile() = default;
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    Status open(const std::filesystem::path& path);
    std::string_view bytes() const { return {static_cast<const char*>(m_address), m_size}; }

private:
    void* m_address = nullptr;
    std::size_t m_size = 0;
};

} // namespace gp::agent
