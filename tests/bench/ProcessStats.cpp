#include "ProcessStats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace gp::bench {

namespace {

/// The fields of /proc/PID/stat a CPU count needs, in clock ticks.
struct StatTimes {
    int parent = 0;
    unsigned long long own = 0;      // utime + stime
    unsigned long long children = 0; // cutime + cstime: children waited for
};

std::optional<StatTimes> readStat(const std::string& pid) {
    std::ifstream file("/proc/" + pid + "/stat");
    std::string text;
    if (!std::getline(file, text)) {
        return std::nullopt;
    }
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are
    // fixed: state is field 3, ppid 4, utime 14, stime 15, cutime 16, cstime 17.
    const auto closing = text.rfind(')');
    if (closing == std::string::npos) {
        return std::nullopt;
    }
    std::istringstream fields(text.substr(closing + 2));
    std::string field;
    StatTimes times;
    for (int number = 3; number <= 17 && fields >> field; ++number) {
        if (number == 4) {
            times.parent = std::stoi(field);
        } else if (number == 14 || number == 15) {
            times.own += std::stoull(field);
        } else if (number == 16 || number == 17) {
            times.children += std::stoull(field);
        }
    }
    return times;
}

double ticksToMillis(unsigned long long ticks) {
    return static_cast<double>(ticks) * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

} // namespace

double cpuMillis(int pid) {
    const auto times = readStat(std::to_string(pid));
    return times ? ticksToMillis(times->own) : -1;
}

double processTreeCpuMillis(int pid) {
    const auto root = readStat(std::to_string(pid));
    if (!root) {
        return -1;
    }
    unsigned long long ticks = root->own + root->children;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        if (const auto child = readStat(name); child && child->parent == pid) {
            ticks += child->own + child->children;
        }
    }
    return ticksToMillis(ticks);
}

double ownCpuMillis() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto millis = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) * 1000.0 + static_cast<double>(t.tv_usec) / 1000.0;
    };
    return millis(usage.ru_utime) + millis(usage.ru_stime);
}

double peakRssMegabytes(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
            return static_cast<double>(std::stol(line.substr(6))) / 1024.0;
        }
    }
    return -1;
}

} // namespace gp::bench
