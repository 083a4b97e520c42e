#include "tests/bench/dataset.h"

#include <algorithm>
#include <fstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace retail::bench {

void WriteSampleLine(std::ostream& out, const CustomerRef& c) {
  out << c.id << '\t' << c.phone << '\t' << c.branch << '\t' << c.name << '\n';
}

absl::StatusOr<Dataset> LoadSample(const std::string& path, int64_t rows) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  Dataset d;
  d.rows = rows;
  d.seeded = true;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() != 4) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": bad sample line: ", line));
    }
    d.customers.push_back(CustomerRef{f[0], f[1], f[2], f[3]});
  }
  if (d.customers.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " holds no customers"));
  }
  CollectBranches(d);
  return d;
}

void CollectBranches(Dataset& d) {
  absl::flat_hash_set<std::string> seen;
  for (const CustomerRef& c : d.customers) seen.insert(c.branch);
  d.branches.assign(seen.begin(), seen.end());
  std::sort(d.branches.begin(), d.branches.end());
}

}  // namespace retail::bench
