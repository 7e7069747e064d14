// A disk that fills up or fails on request, for the fault matrix: loaded into gp-agent with
// LD_PRELOAD, it wraps the calls that put bytes on a disk (write, writev, pwrite, pwrite64,
// fsync, fdatasync). While the control file exists, such a call on a file under the watched
// directory fails with ENOSPC (writes only), or with EIO when the control file says EIO; the
// rest of the time, and for every other file, the call goes through untouched. Files whose name
// ends in ".log" are spared, so the process can still say what happened to it.
//
//   GP_FAULTY_DISK_DIR      the directory whose files fail (the agent's state directory)
//   GP_FAULTY_DISK_CONTROL  the control file (outside that directory)
//
// No mount, no privileges: it works for root and for an ordinary user alike.

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

template <typename Function>
Function next(const char* name) {
    return reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name));
}

/// 0 when the call may go ahead; otherwise the errno it must fail with. A full disk refuses new
/// bytes but still syncs what it holds, so `syncing` calls fail only when the disk fails (EIO).
int injectedError(int fd, bool syncing = false) {
    const char* control = std::getenv("GP_FAULTY_DISK_CONTROL");
    const char* dir = std::getenv("GP_FAULTY_DISK_DIR");
    if (control == nullptr || dir == nullptr) {
        return 0;
    }
    struct stat ignored;
    if (::stat(control, &ignored) != 0) {
        return 0; // the disk is healthy: the cheap, common case
    }
    char link[64];
    char path[4096];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t length = ::readlink(link, path, sizeof path - 1);
    if (length <= 0) {
        return 0;
    }
    path[length] = '\0';
    const std::size_t dirLength = std::strlen(dir);
    const bool inside = std::strncmp(path, dir, dirLength) == 0 &&
                        (path[dirLength] == '/' || path[dirLength] == '\0');
    const bool isLog = length >= 4 && std::strcmp(path + length - 4, ".log") == 0;
    if (!inside || isLog) {
        return 0;
    }
    char kind[8] = {};
    const int controlFd = ::open(control, O_RDONLY | O_CLOEXEC);
    if (controlFd >= 0) {
        // read() is not wrapped, so this cannot recurse.
        const ssize_t got = ::read(controlFd, kind, sizeof kind - 1);
        ::close(controlFd);
        if (got > 0) {
            kind[got] = '\0';
        }
    }
    if (std::strncmp(kind, "EIO", 3) == 0) {
        return EIO;
    }
    return syncing ? 0 : ENOSPC;
}

} // namespace

extern "C" {

ssize_t write(int fd, const void* buffer, size_t size) {
    static const auto real = next<ssize_t (*)(int, const void*, size_t)>("write");
    if (const int error = injectedError(fd)) {
        errno = error;
        return -1;
    }
    return real(fd, buffer, size);
}

ssize_t writev(int fd, const struct iovec* vector, int count) {
    static const auto real = next<ssize_t (*)(int, const struct iovec*, int)>("writev");
    if (const int error = injectedError(fd)) {
        errno = error;
        return -1;
    }
    return real(fd, vector, count);
}

ssize_t pwrite(int fd, const void* buffer, size_t size, off_t offset) {
    static const auto real = next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
    if (const int error = injectedError(fd)) {
        errno = error;
        return -1;
    }
    return real(fd, buffer, size, offset);
}

ssize_t pwrite64(int fd, const void* buffer, size_t size, off64_t offset) {
    static const auto real = next<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64");
    if (const int error = injectedError(fd)) {
        errno = error;
        return -1;
    }
    return real(fd, buffer, size, offset);
}

int fsync(int fd) {
    static const auto real = next<int (*)(int)>("fsync");
    if (const int error = injectedError(fd, true)) {
        errno = error;
        return -1;
    }
    return real(fd);
}

int fdatasync(int fd) {
    static const auto real = next<int (*)(int)>("fdatasync");
    if (const int error = injectedError(fd, true)) {
        errno = error;
        return -1;
    }
    return real(fd);
}

} // extern "C"
