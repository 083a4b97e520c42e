#include "tests/bench/cpu_usage.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace retail::bench {
namespace {

// The fields of /proc/<pid>/stat from field 3 (the state) on. The command
// name (field 2) may hold spaces and parentheses; the fields resume after
// its last ')'. Empty if the process is gone.
std::istringstream FieldsAfterName(const std::string& stat_path) {
  std::ifstream in(stat_path);
  std::string line;
  if (!std::getline(in, line)) return {};
  const size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 > line.size()) return {};
  return std::istringstream(line.substr(close + 2));
}

// utime + stime of a process (fields 14 and 15), or 0.
uint64_t ProcessTicks(const std::string& stat_path) {
  std::istringstream fields = FieldsAfterName(stat_path);
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;
  uint64_t utime = 0, stime = 0;
  fields >> utime >> stime;
  return utime + stime;
}

// The parent's pid (field 4), or 0.
int ParentPid(const std::string& stat_path) {
  std::istringstream fields = FieldsAfterName(stat_path);
  std::string state;
  int ppid = 0;
  fields >> state >> ppid;
  return ppid;
}

// utime + stime of `root` and every process below it, per process. One
// pass over /proc: a process tree is a few dozen processes, read twice
// per measured window.
std::map<int, uint64_t> TreeTicks(int root) {
  std::map<int, uint64_t> ticks;
  if (root <= 0) return ticks;
  std::map<int, int> parent;
  if (DIR* proc = opendir("/proc"); proc != nullptr) {
    while (dirent* e = readdir(proc)) {
      int pid = 0;
      if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
      parent[pid] = ParentPid(absl::StrCat("/proc/", pid, "/stat"));
    }
    closedir(proc);
  }
  for (const auto& [pid, ppid] : parent) {
    int p = pid;
    // Up the chain to `root` or to init; bounded in case of a cycle seen
    // through a pid reused mid-scan.
    for (int depth = 0; p > 1 && p != root && depth < 64; ++depth) {
      const auto it = parent.find(p);
      p = it == parent.end() ? 0 : it->second;
    }
    if (p == root) {
      ticks[pid] = ProcessTicks(absl::StrCat("/proc/", pid, "/stat"));
    }
  }
  return ticks;
}

// Ticks spent by the processes of a tree between two snapshots: a process
// new in `after` counts from zero, one gone from it counts nothing (its
// last ticks are lost, a small undercount).
uint64_t TreeDelta(const std::map<int, uint64_t>& before,
                   const std::map<int, uint64_t>& after) {
  uint64_t sum = 0;
  for (const auto& [pid, t] : after) {
    const auto it = before.find(pid);
    const uint64_t from = it == before.end() ? 0 : it->second;
    if (t >= from) sum += t - from;
  }
  return sum;
}

}  // namespace

CpuSnapshot TakeCpuSnapshot(int server_pid) {
  CpuSources sources;
  if (server_pid > 0) sources.server_pids.push_back(server_pid);
  return TakeCpuSnapshot(sources);
}

CpuSnapshot TakeCpuSnapshot(const CpuSources& sources) {
  CpuSnapshot s;
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;  // "cpu": the sum over all CPUs
  uint64_t v[10] = {};
  for (uint64_t& x : v) in >> x;
  // user nice system idle iowait irq softirq steal guest guest_nice; guest
  // time is already inside user and nice.
  for (int i = 0; i < 8; ++i) s.total += v[i];
  s.busy = s.total - v[3] - v[4];
  s.self = ProcessTicks("/proc/self/stat");
  for (int pid : sources.server_pids) {
    if (pid > 0) s.server += ProcessTicks(absl::StrCat("/proc/", pid, "/stat"));
  }
  s.db = TreeTicks(sources.db_tree);
  s.proxy = TreeTicks(sources.proxy_tree);
  return s;
}

CpuShares SharesBetween(const CpuSnapshot& a, const CpuSnapshot& b) {
  CpuShares shares;
  const double total = static_cast<double>(b.total - a.total);
  if (total <= 0) return shares;
  const double server = b.server >= a.server ? b.server - a.server : 0;
  const double client = static_cast<double>(b.self - a.self);
  const double busy = static_cast<double>(b.busy - a.busy);
  const double db = static_cast<double>(TreeDelta(a.db, b.db));
  const double proxy = static_cast<double>(TreeDelta(a.proxy, b.proxy));
  shares.server = 100 * server / total;
  shares.client = 100 * client / total;
  shares.db = 100 * db / total;
  shares.proxy = 100 * proxy / total;
  shares.other =
      std::max(0.0, 100 * (busy - server - client - db - proxy) / total);
  return shares;
}

double LoadAverage1m() {
  std::ifstream in("/proc/loadavg");
  double load = 0;
  in >> load;
  return load;
}

}  // namespace retail::bench
