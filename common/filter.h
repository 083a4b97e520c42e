// The list filter language (a small subset of AIP-160): equality terms joined
// by AND, e.g.  branch_id = "B001" AND tier = VIP
// Values are double-quoted strings (\" and \\ escapes) or bare words of
// [A-Za-z0-9_.-]. Which fields and values are allowed is each service's rule;
// this only parses.
#ifndef RETAIL_COMMON_FILTER_H_
#define RETAIL_COMMON_FILTER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace retail {

struct FilterTerm {
  std::string field;
  std::string value;
};

// Parses `filter`; errors are INVALID_ARGUMENT on field `field_name`. A field
// named twice is an error. At most 1024 characters.
absl::StatusOr<std::vector<FilterTerm>> ParseFilter(
    absl::string_view filter, absl::string_view field_name = "filter");

}  // namespace retail

#endif  // RETAIL_COMMON_FILTER_H_
