// List paging (AIP-158) with keyset page tokens.
//
// A page token carries the last key of the previous page and is signed with
// the server secret together with the list's scope (method, caller's branch,
// filter). So a token cannot be forged, and a token from another list, filter
// or caller is rejected instead of silently paging the wrong data.
#ifndef RETAIL_COMMON_PAGINATION_H_
#define RETAIL_COMMON_PAGINATION_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth.h"

namespace retail {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// 0 -> 50; 1..1000 as asked; above 1000 -> 1000 (AIP-158 coerces);
// negative -> INVALID_ARGUMENT on `field`.
absl::StatusOr<int> ResolvePageSize(int32_t requested,
                                    absl::string_view field = "page_size");

class PageTokenCodec {
 public:
  explicit PageTokenCodec(std::string secret) : secret_(std::move(secret)) {}

  std::string Encode(absl::string_view scope, int64_t last_key) const;
  // For an order by two columns, e.g. (due time, id): both keys of the
  // previous page's last row. A token of one kind never decodes as the
  // other.
  std::string EncodePair(absl::string_view scope,
                         std::pair<int64_t, int64_t> last_keys) const;

  // "" -> 0 (the first page). A token that is malformed, not signed by this
  // server or issued for another scope -> INVALID_ARGUMENT on `field`.
  absl::StatusOr<int64_t> Decode(absl::string_view token,
                                 absl::string_view scope,
                                 absl::string_view field = "page_token") const;
  // "" -> nullopt (the first page); errors as Decode.
  absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> DecodePair(
      absl::string_view token, absl::string_view scope,
      absl::string_view field = "page_token") const;

 private:
  std::string EncodeKeys(absl::string_view scope, char version,
                         std::initializer_list<int64_t> keys) const;
  // The keys of a token of `version` holding `count` keys.
  absl::StatusOr<std::vector<int64_t>> DecodeKeys(absl::string_view token,
                                                  absl::string_view scope,
                                                  absl::string_view field,
                                                  char version,
                                                  size_t count) const;
  std::string Mac(absl::string_view body, absl::string_view scope) const;
  std::string secret_;
};

// The scope a page token is bound to: the method, the caller's branch
// confinement and the query. A token replayed against any other list, or by
// a caller confined elsewhere, is rejected.
inline std::string PageTokenScope(absl::string_view method,
                                  const Principal& principal,
                                  absl::string_view query) {
  return std::string(method) + "\n" + BranchScope(principal) + "\n" +
         std::string(query);
}

}  // namespace retail

#endif  // RETAIL_COMMON_PAGINATION_H_
