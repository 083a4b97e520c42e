#include "tests/bench/disk_probe.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/bench/load_driver.h"

namespace retail::bench {
namespace {

std::string FilesystemName(const std::string& dir) {
  struct statfs st;
  if (statfs(dir.c_str(), &st) != 0) return "unknown";
  switch (static_cast<unsigned long>(st.f_type)) {
    case EXT4_SUPER_MAGIC:
      return "ext4";  // also ext2/ext3
    case XFS_SUPER_MAGIC:
      return "xfs";
    case BTRFS_SUPER_MAGIC:
      return "btrfs";
    case TMPFS_MAGIC:
      return "tmpfs";
    case OVERLAYFS_SUPER_MAGIC:
      return "overlay";
    default:
      return absl::StrFormat("0x%x", static_cast<unsigned long>(st.f_type));
  }
}

double Percentile(const std::vector<double>& sorted, double q) {
  const size_t rank = static_cast<size_t>(std::ceil(q * sorted.size()));
  return sorted[std::min(sorted.size(), std::max<size_t>(rank, 1)) - 1];
}

}  // namespace

absl::StatusOr<FsyncStats> MeasureFdatasync(const std::string& dir,
                                            int iterations) {
  iterations = std::max(iterations, 1);
  std::string path = dir + "/.retail_bench_fsync.XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create a file in ", dir, ": ", strerror(errno)));
  }
  char block[4096];
  for (size_t i = 0; i < sizeof(block); ++i)
    block[i] = static_cast<char>(i * 131);
  constexpr int kUnmeasured = 5;
  std::vector<double> ms;
  ms.reserve(iterations);
  absl::Status failure;
  for (int i = 0; i < kUnmeasured + iterations; ++i) {
    const int64_t start = MonotonicNanos();
    if (pwrite(fd, block, sizeof(block),
               static_cast<off_t>(i) * sizeof(block)) !=
            static_cast<ssize_t>(sizeof(block)) ||
        fdatasync(fd) != 0) {
      failure = absl::UnavailableError(
          absl::StrCat("write + fdatasync in ", dir, ": ", strerror(errno)));
      break;
    }
    if (i >= kUnmeasured) ms.push_back((MonotonicNanos() - start) / 1e6);
  }
  close(fd);
  unlink(path.c_str());
  if (!failure.ok()) return failure;
  std::sort(ms.begin(), ms.end());
  FsyncStats s;
  s.dir = dir;
  s.filesystem = FilesystemName(dir);
  s.iterations = iterations;
  s.p50_ms = Percentile(ms, 0.50);
  s.p99_ms = Percentile(ms, 0.99);
  s.mean_ms = std::accumulate(ms.begin(), ms.end(), 0.0) / ms.size();
  s.max_ms = ms.back();
  return s;
}

}  // namespace retail::bench
