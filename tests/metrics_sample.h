// Reads one sample out of a Prometheus text exposition, for the tests that
// scrape the server's metrics (unit, integration and storage-fault tests).
#ifndef RETAIL_TESTS_METRICS_SAMPLE_H_
#define RETAIL_TESTS_METRICS_SAMPLE_H_

#include <map>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace retail::testing {

using MetricLabels = std::map<std::string, std::string>;

// The value of the sample `name` whose labels include `labels`, or nullopt.
inline std::optional<double> Sample(const std::string& text,
                                    const std::string& name,
                                    const MetricLabels& labels = {}) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t end = line.find_first_of("{ ");
    if (end == absl::string_view::npos || line.substr(0, end) != name) {
      continue;
    }
    bool all = true;
    for (const auto& [k, v] : labels) {
      if (line.find(absl::StrCat(k, "=\"", v, "\"")) ==
          absl::string_view::npos) {
        all = false;
        break;
      }
    }
    if (!all) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace retail::testing

#endif  // RETAIL_TESTS_METRICS_SAMPLE_H_
