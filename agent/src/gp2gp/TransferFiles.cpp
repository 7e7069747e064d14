#include "TransferFiles.hpp"

#include <gp/agent/Files.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace gp::agent::gp2gp {

namespace {

constexpr std::size_t kBufferBytes = 1024 * 1024;

Error fileError(const std::string& what, const std::filesystem::path& path) {
    return failure(path.filename().string(), what + ": " + std::strerror(errno));
}

// Appends the whole of `input` to `out`; returns the bytes copied or -1.
std::int64_t appendFrom(const std::filesystem::path& input, int out, std::vector<char>& buffer) {
    FileDescriptor in(::open(input.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in.ok()) {
        return -1;
    }
    std::int64_t total = 0;
    for (;;) {
        const auto n = ::read(in.get(), buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        if (n == 0) {
            return total;
        }
        if (!writeAll(out, buffer.data(), static_cast<std::size_t>(n))) {
            return -1;
        }
        total += n;
    }
}

} // namespace

Status writeSynced(const std::filesystem::path& path, const std::string& content) {
    try {
        std::filesystem::create_directories(path.parent_path());
        writeFileAtomically(path, content, 0640);
    } catch (const std::exception& e) {
        return failure(path.filename().string(), e.what());
    }
    return success();
}

Result<std::string> readRange(const std::filesystem::path& path, std::uint64_t offset,
                              std::uint64_t length) {
    FileDescriptor in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in.ok()) {
        return fileError("cannot open", path);
    }
    std::string bytes(static_cast<std::size_t>(length), '\0');
    std::size_t done = 0;
    while (done < bytes.size()) {
        const auto n = ::pread(in.get(), bytes.data() + done, bytes.size() - done,
                               static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fileError("cannot read", path);
        }
        if (n == 0) {
            return failure(path.filename().string(), "shorter than expected: the file changed");
        }
        done += static_cast<std::size_t>(n);
    }
    return bytes;
}

Result<std::uint64_t> joinFiles(const std::vector<std::filesystem::path>& inputs,
                                const std::filesystem::path& output) {
    std::error_code ignored;
    std::filesystem::create_directories(output.parent_path(), ignored);
    const auto temporary = output.string() + ".tmp";
    std::uint64_t total = 0;
    {
        FileDescriptor out(
            ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
        if (!out.ok()) {
            return fileError("cannot create", temporary);
        }
        std::vector<char> buffer(kBufferBytes);
        for (const auto& input : inputs) {
            const auto copied = appendFrom(input, out.get(), buffer);
            if (copied < 0) {
                return fileError("cannot append", input);
            }
            total += static_cast<std::uint64_t>(copied);
        }
        if (::fsync(out.get()) != 0) {
            return fileError("cannot sync", temporary);
        }
    }
    if (::rename(temporary.c_str(), output.c_str()) != 0) {
        return fileError("cannot rename into place", output);
    }
    syncDirectory(output.parent_path());
    return total;
}

Status copySynced(const std::filesystem::path& from, const std::filesystem::path& to) {
    auto copied = joinFiles({from}, to);
    if (!copied) {
        return copied.error();
    }
    return success();
}

void syncDirectory(const std::filesystem::path& directory) {
    FileDescriptor dir(
        ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.ok()) {
        ::fsync(dir.get());
    }
}

std::int64_t fileBytes(const std::filesystem::path& path) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    return error ? -1 : static_cast<std::int64_t>(size);
}

} // namespace gp::agent::gp2gp
