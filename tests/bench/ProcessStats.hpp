#pragma once

// CPU time and memory of the processes a benchmark runs, read from /proc (and getrusage for the
// benchmark itself), so each run can say what one message cost.

namespace gp::bench {

/// User plus system CPU time of process `pid` (all its threads, living and exited), in
/// milliseconds; resolution one clock tick (10 ms). -1 when the process is gone.
double cpuMillis(int pid);

/// The same for process `pid` and its children, those alive (scanned in /proc) and those reaped
/// (counted by the kernel in `pid`'s cutime/cstime): a server that forks one process per
/// connection, such as PostgreSQL's postmaster. -1 when the process is gone.
double processTreeCpuMillis(int pid);

/// The same for this process.
double ownCpuMillis();

/// Peak resident set size (VmHWM) of `pid` in megabytes; -1 when unknown.
double peakRssMegabytes(int pid);

} // namespace gp::bench
