#include "tests/bench/cpu_usage.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace retail::bench {
namespace {

// utime + stime of a process, from /proc/<pid>/stat (fields 14 and 15).
uint64_t ProcessTicks(const std::string& stat_path) {
  std::ifstream in(stat_path);
  std::string line;
  if (!std::getline(in, line)) return 0;
  // The command name (field 2) may hold spaces; fields resume after ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(line.substr(close + 2));
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;
  uint64_t utime = 0, stime = 0;
  fields >> utime >> stime;
  return utime + stime;
}

}  // namespace

CpuSnapshot TakeCpuSnapshot(int server_pid) {
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
  if (server_pid > 0) {
    s.server = ProcessTicks(absl::StrCat("/proc/", server_pid, "/stat"));
  }
  return s;
}

CpuShares SharesBetween(const CpuSnapshot& a, const CpuSnapshot& b) {
  CpuShares shares;
  const double total = static_cast<double>(b.total - a.total);
  if (total <= 0) return shares;
  const double server = b.server >= a.server ? b.server - a.server : 0;
  const double client = static_cast<double>(b.self - a.self);
  const double busy = static_cast<double>(b.busy - a.busy);
  shares.server = 100 * server / total;
  shares.client = 100 * client / total;
  shares.other = std::max(0.0, 100 * (busy - server - client) / total);
  return shares;
}

double LoadAverage1m() {
  std::ifstream in("/proc/loadavg");
  double load = 0;
  in >> load;
  return load;
}

}  // namespace retail::bench
