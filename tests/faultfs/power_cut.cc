#include "tests/faultfs/power_cut.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <vector>

#include "tests/faultfs/journal_format.h"

namespace retail::faultfs {
namespace {

// Byte ranges [begin, end), merged.
class IntervalSet {
 public:
  void Add(uint64_t begin, uint64_t end) {
    if (begin >= end) return;
    auto it = ranges_.upper_bound(begin);
    if (it != ranges_.begin() && std::prev(it)->second >= begin) --it;
    while (it != ranges_.end() && it->first <= end) {
      begin = std::min(begin, it->first);
      end = std::max(end, it->second);
      it = ranges_.erase(it);
    }
    ranges_[begin] = end;
  }
  // The parts of [begin, end) not in the set.
  std::vector<std::pair<uint64_t, uint64_t>> Uncovered(uint64_t begin,
                                                       uint64_t end) const {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    auto it = ranges_.upper_bound(begin);
    if (it != ranges_.begin()) --it;
    uint64_t pos = begin;
    for (; it != ranges_.end() && it->first < end && pos < end; ++it) {
      if (it->second <= pos) continue;
      if (it->first > pos) out.emplace_back(pos, std::min(it->first, end));
      pos = std::max(pos, it->second);
    }
    if (pos < end) out.emplace_back(pos, end);
    return out;
  }

 private:
  std::map<uint64_t, uint64_t> ranges_;
};

// Undoing one write: the bytes [offset, offset + old.size()) held `old`
// before it. Bytes the write appended past the old end read as zeros.
struct Undo {
  uint64_t offset;
  std::string old;
};

struct FileState {
  bool exists = true;
  bool created = false;       // by this process, per the journal
  bool dir_durable = true;    // its directory entry survives the cut
  int64_t cur_size = -1;      // -1: not known yet
  int64_t synced_size = -1;   // size at the last successful sync
  std::vector<Undo> pending;  // since the last successful sync, in order
  std::vector<Undo> lost;     // behind a failed sync, trimmed by later syncs
};

Undo MakeUndo(const Record& r) {
  Undo u{r.offset, r.pre};
  if (r.type == RecordType::kWrite) u.old.resize(r.length, '\0');
  return u;
}

// Removes [begin, end) from every undo in `undos`, splitting where needed.
void Trim(std::vector<Undo>& undos, uint64_t begin, uint64_t end) {
  std::vector<Undo> out;
  for (Undo& u : undos) {
    const uint64_t ub = u.offset, ue = u.offset + u.old.size();
    if (ue <= begin || ub >= end) {
      out.push_back(std::move(u));
      continue;
    }
    if (ub < begin) out.push_back(Undo{ub, u.old.substr(0, begin - ub)});
    if (ue > end) out.push_back(Undo{end, u.old.substr(end - ub)});
  }
  undos = std::move(out);
}

bool WriteAt(int fd, uint64_t offset, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, data, n, static_cast<off_t>(offset));
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return true;
}

}  // namespace

std::string PowerCutReport::ToString() const {
  std::ostringstream out;
  out << records << " journal records; " << bytes_reverted
      << " bytes reverted, " << bytes_garbled << " garbled, " << files_removed
      << " files removed";
  if (!error.empty()) out << "; ERROR: " << error;
  return out.str();
}

PowerCutReport CutPower(const std::string& journal_path,
                        const std::string& scope_dir, PowerCutMode mode,
                        uint64_t seed) {
  PowerCutReport report;
  std::string data;
  {
    std::ifstream in(journal_path, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    data = buf.str();
  }
  const std::vector<Record> records = DecodeJournal(data);
  report.records = static_cast<int64_t>(records.size());

  std::map<std::string, FileState> files;
  for (const Record& r : records) {
    FileState& f = files[r.path];
    switch (r.type) {
      case RecordType::kCreate:
        f = FileState{};
        f.created = true;
        f.dir_durable = false;
        f.cur_size = f.synced_size = 0;
        break;
      case RecordType::kWrite:
      case RecordType::kTruncate: {
        if (f.synced_size < 0) f.synced_size = static_cast<int64_t>(r.old_size);
        f.exists = true;
        f.pending.push_back(MakeUndo(r));
        f.cur_size = r.type == RecordType::kTruncate
                         ? static_cast<int64_t>(r.offset)
                         : std::max<int64_t>(r.old_size, r.offset + r.length);
        break;
      }
      case RecordType::kSyncOk:
        // What was pending is on the disk now, and covers what an earlier
        // failed sync lost.
        for (const Undo& u : f.pending) {
          Trim(f.lost, u.offset, u.offset + u.old.size());
        }
        f.pending.clear();
        if (f.cur_size >= 0) f.synced_size = f.cur_size;
        break;
      case RecordType::kSyncFailed:
        for (Undo& u : f.pending) f.lost.push_back(std::move(u));
        f.pending.clear();
        break;
      case RecordType::kDirSync: {
        const auto dir = std::filesystem::path(r.path).parent_path();
        for (auto& [path, other] : files) {
          if (std::filesystem::path(path).parent_path() == dir) {
            other.dir_durable = true;
          }
        }
        break;
      }
      case RecordType::kDelete:
        // Modelled as durable at once: SQLite deletes a WAL or journal only
        // after its content is safely in the database file.
        f = FileState{};
        f.exists = false;
        break;
    }
  }

  std::mt19937_64 rng(seed);
  for (auto& [path, f] : files) {
    if (!f.exists) continue;
    if (f.created && !f.dir_durable) {
      std::error_code ec;
      if (std::filesystem::remove(path, ec)) ++report.files_removed;
      continue;
    }
    if (f.pending.empty() && f.lost.empty() && f.cur_size == f.synced_size) {
      continue;
    }
    const int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0) {
      report.error = "cannot open " + path;
      continue;
    }
    // Newest first. A sector a newer write kept (or garbled) must not be
    // rolled back by an older write's undo: `kept` remembers them.
    IntervalSet kept;
    auto revert = [&](const Undo& u, bool may_keep) {
      constexpr uint64_t kSector = 512;
      uint64_t pos = u.offset;
      const uint64_t end = u.offset + u.old.size();
      while (pos < end) {
        const uint64_t chunk_end = std::min(end, (pos / kSector + 1) * kSector);
        int choice = 1;  // revert
        if (may_keep)
          choice = static_cast<int>(rng() % 3);  // keep/revert/garble
        if (choice == 0) {
          kept.Add(pos, chunk_end);
        } else {
          for (auto [b, e] : kept.Uncovered(pos, chunk_end)) {
            if (choice == 1) {
              WriteAt(fd, b, u.old.data() + (b - u.offset), e - b);
              report.bytes_reverted += static_cast<int64_t>(e - b);
            } else {
              std::string noise(e - b, '\0');
              for (char& c : noise) c = static_cast<char>(rng());
              WriteAt(fd, b, noise.data(), noise.size());
              report.bytes_garbled += static_cast<int64_t>(e - b);
            }
          }
          if (choice == 2) kept.Add(pos, chunk_end);
        }
        pos = chunk_end;
      }
    };
    const bool tear = mode == PowerCutMode::kTearUnsynced;
    for (auto it = f.pending.rbegin(); it != f.pending.rend(); ++it) {
      revert(*it, tear);
    }
    for (auto it = f.lost.rbegin(); it != f.lost.rend(); ++it) {
      revert(*it, /*may_keep=*/false);
    }
    int64_t size = f.synced_size;
    if (tear && f.cur_size > f.synced_size && rng() % 2 == 0) {
      size = f.cur_size;
    }
    if (size >= 0 && ::ftruncate(fd, size) != 0) {
      report.error = "cannot truncate " + path;
    }
    ::close(fd);
  }

  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(scope_dir, ec)) {
    const std::string name = entry.path().string();
    if (name.size() > 4 && name.compare(name.size() - 4, 4, "-shm") == 0) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  // The next lifetime starts from this state, which is durable by definition.
  std::ofstream(journal_path, std::ios::trunc);
  return report;
}

}  // namespace retail::faultfs
