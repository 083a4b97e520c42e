#include "common/pagination.h"

#include <openssl/crypto.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"

namespace retail {
namespace {

constexpr char kVersion = 1;
constexpr size_t kKeyBytes = 8;
constexpr size_t kMacBytes = 16;

}  // namespace

absl::StatusOr<int> ResolvePageSize(int32_t requested,
                                    absl::string_view field) {
  if (requested < 0) {
    return InvalidArgument(field,
                           absl::StrCat("must be between 0 and ", kMaxPageSize,
                                        " (0 means ", kDefaultPageSize, ")"));
  }
  if (requested == 0) return kDefaultPageSize;
  return requested > kMaxPageSize ? kMaxPageSize : requested;
}

std::string PageTokenCodec::Mac(absl::string_view body,
                                absl::string_view scope) const {
  return HmacSha256(secret_, absl::StrCat(body, "|", scope))
      .substr(0, kMacBytes);
}

std::string PageTokenCodec::Encode(absl::string_view scope,
                                   int64_t last_key) const {
  std::string body(1 + kKeyBytes, '\0');
  body[0] = kVersion;
  const uint64_t key = static_cast<uint64_t>(last_key);
  for (size_t i = 0; i < kKeyBytes; ++i) {
    body[1 + i] = static_cast<char>((key >> (8 * (kKeyBytes - 1 - i))) & 0xff);
  }
  return absl::WebSafeBase64Escape(absl::StrCat(body, Mac(body, scope)));
}

absl::StatusOr<int64_t> PageTokenCodec::Decode(absl::string_view token,
                                               absl::string_view scope,
                                               absl::string_view field) const {
  if (token.empty()) return 0;
  const absl::Status invalid = InvalidArgument(
      field,
      "is not a next_page_token returned by this list with the same filter");
  std::string raw;
  if (token.size() > 64 || !absl::WebSafeBase64Unescape(token, &raw) ||
      raw.size() != 1 + kKeyBytes + kMacBytes || raw[0] != kVersion) {
    return invalid;
  }
  const std::string body = raw.substr(0, 1 + kKeyBytes);
  const std::string mac = Mac(body, scope);
  if (CRYPTO_memcmp(mac.data(), raw.data() + 1 + kKeyBytes, kMacBytes) != 0) {
    return invalid;
  }
  uint64_t key = 0;
  for (size_t i = 0; i < kKeyBytes; ++i) {
    key = (key << 8) | static_cast<unsigned char>(body[1 + i]);
  }
  return static_cast<int64_t>(key);
}

}  // namespace retail
