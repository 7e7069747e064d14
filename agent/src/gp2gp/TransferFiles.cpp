#include "TransferFiles.hpp"

#include <gp/agent/Files.hpp>
#include <gp/messaging/mime/Base64Stream.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace gp::agent::gp2gp {

namespace {

constexpr std::size_t kBufferBytes = 1024 * 1024;
// Whole 76-character lines of base64 (57 bytes each), so a read ends where a line does.
constexpr std::size_t kEncodeChunkBytes = 57 * 4096;

Error fileError(const std::string& what, const std::filesystem::path& path) {
    return failure(path.filename().string(), what + ": " + std::strerror(errno));
}

bool preadAll(int fd, char* data, std::size_t size, std::uint64_t offset, bool& shortFile) {
    std::size_t done = 0;
    while (done < size) {
        const auto n = ::pread(fd, data + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        if (n == 0) {
            shortFile = true;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

bool pwriteAll(int fd, const char* data, std::size_t size, std::uint64_t offset) {
    std::size_t done = 0;
    while (done < size) {
        const auto n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
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

Status writeSyncedAround(const std::filesystem::path& path, const std::string& head,
                         const std::filesystem::path& source, std::uint64_t offset,
                         std::uint64_t length, bool base64, const std::string& tail) {
    std::error_code ignored;
    std::filesystem::create_directories(path.parent_path(), ignored);
    FileDescriptor in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in.ok()) {
        return fileError("cannot open", source);
    }
    const auto temporary = path.string() + ".tmp";
    {
        FileDescriptor out(
            ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
        if (!out.ok()) {
            return fileError("cannot create", temporary);
        }
        if (!writeAll(out.get(), head.data(), head.size())) {
            return fileError("cannot write", temporary);
        }
        std::vector<char> buffer(kEncodeChunkBytes);
        std::string encoded;
        encoded.reserve(kEncodeChunkBytes / 57 * 78);
        messaging::mime::Base64Encoder encoder;
        for (std::uint64_t done = 0; done < length;) {
            const auto chunk =
                static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), length - done));
            bool shortFile = false;
            if (!preadAll(in.get(), buffer.data(), chunk, offset + done, shortFile)) {
                return shortFile ? failure(source.filename().string(),
                                           "shorter than expected: the file changed")
                                 : fileError("cannot read", source);
            }
            const std::string_view bytes(buffer.data(), chunk);
            encoded.clear();
            if (base64) {
                encoder.update(bytes, encoded);
            }
            const std::string_view piece = base64 ? std::string_view(encoded) : bytes;
            if (!writeAll(out.get(), piece.data(), piece.size())) {
                return fileError("cannot write", temporary);
            }
            done += chunk;
        }
        encoded.clear();
        if (base64) {
            encoder.finish(encoded);
        }
        encoded += tail;
        if (!writeAll(out.get(), encoded.data(), encoded.size()) || ::fsync(out.get()) != 0) {
            return fileError("cannot write", temporary);
        }
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        return fileError("cannot rename into place", path);
    }
    syncDirectory(path.parent_path());
    return success();
}

Status writeAtSynced(const std::filesystem::path& path, std::uint64_t offset,
                     std::string_view bytes) {
    std::error_code ignored;
    std::filesystem::create_directories(path.parent_path(), ignored);
    FileDescriptor out(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640));
    if (!out.ok()) {
        return fileError("cannot open", path);
    }
    if (!pwriteAll(out.get(), bytes.data(), bytes.size(), offset)) {
        return fileError("cannot write", path);
    }
    if (::fdatasync(out.get()) != 0) {
        return fileError("cannot sync", path);
    }
    // A new file's name must survive a crash too; later writes find it there.
    if (offset == 0) {
        syncDirectory(path.parent_path());
    }
    return success();
}

Result<std::uint64_t> copyAtSynced(const std::filesystem::path& from,
                                   const std::filesystem::path& to, std::uint64_t offset) {
    FileDescriptor in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in.ok()) {
        return fileError("cannot open", from);
    }
    FileDescriptor out(::open(to.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640));
    if (!out.ok()) {
        return fileError("cannot open", to);
    }
    std::vector<char> buffer(kBufferBytes);
    std::uint64_t total = 0;
    for (;;) {
        const auto n = ::read(in.get(), buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fileError("cannot read", from);
        }
        if (n == 0) {
            break;
        }
        if (!pwriteAll(out.get(), buffer.data(), static_cast<std::size_t>(n), offset + total)) {
            return fileError("cannot write", to);
        }
        total += static_cast<std::uint64_t>(n);
    }
    if (::fdatasync(out.get()) != 0) {
        return fileError("cannot sync", to);
    }
    if (offset == 0) {
        syncDirectory(to.parent_path());
    }
    return total;
}

Status truncateSynced(const std::filesystem::path& path, std::uint64_t size) {
    FileDescriptor file(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!file.ok()) {
        return fileError("cannot open", path);
    }
    if (::ftruncate(file.get(), static_cast<off_t>(size)) != 0 || ::fsync(file.get()) != 0) {
        return fileError("cannot truncate", path);
    }
    return success();
}

Status linkOrCopySynced(const std::filesystem::path& from, const std::filesystem::path& to) {
    if (::link(from.c_str(), to.c_str()) == 0) {
        return success(); // the caller fsyncs the directory that holds the new name
    }
    if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP) {
        return fileError("cannot link", to);
    }
    return copySynced(from, to);
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
