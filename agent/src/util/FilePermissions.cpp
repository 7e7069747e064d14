#include <gp/agent/FilePermissions.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

namespace gp::agent {

namespace {

std::string octal(unsigned mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", mode & 07777u);
    return text;
}

std::optional<struct stat> statOf(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return std::nullopt;
    }
    return info;
}

} // namespace

void requirePrivateDirectory(const std::filesystem::path& dir, std::string_view key) {
    if (!std::filesystem::exists(dir)) {
        std::filesystem::create_directories(dir);
        std::filesystem::permissions(dir, std::filesystem::perms::owner_all |
                                              std::filesystem::perms::group_read |
                                              std::filesystem::perms::group_exec);
        return;
    }
    const auto info = statOf(dir);
    if (!info) {
        throw std::runtime_error(std::string(key) + " " + dir.string() + " cannot be read");
    }
    if (!S_ISDIR(info->st_mode)) {
        throw std::runtime_error(std::string(key) + " " + dir.string() + " is not a directory");
    }
    if ((info->st_mode & 0007u) != 0) {
        throw std::runtime_error(std::string(key) + " " + dir.string() + " has mode " +
                                 octal(info->st_mode) +
                                 ": every user of this machine may read or change the agent's "
                                 "state; refusing to start. Fix: chmod o-rwx " +
                                 dir.string());
    }
}

std::optional<std::string> ownerOnlyProblem(const std::filesystem::path& file,
                                            std::string_view key) {
    const auto info = statOf(file);
    if (!info || (info->st_mode & 0077u) == 0) {
        return std::nullopt;
    }
    return std::string(key) + " " + file.string() + " has mode " + octal(info->st_mode) +
           ": users other than the agent's may read or change its API tokens. Fix: chmod 600 " +
           file.string();
}

void requireOwnerOnlyFile(const std::filesystem::path& file, std::string_view key) {
    if (auto problem = ownerOnlyProblem(file, key)) {
        throw std::runtime_error(*problem + "; refusing to start");
    }
}

std::optional<FileOwner> ownerToKeep(const std::filesystem::path& file) {
    if (::geteuid() != 0) {
        return std::nullopt;
    }
    auto info = statOf(file);
    if (!info) {
        info = statOf(file.has_parent_path() ? file.parent_path() : ".");
    }
    if (!info) {
        return std::nullopt;
    }
    return FileOwner{info->st_uid, info->st_gid};
}

} // namespace gp::agent
