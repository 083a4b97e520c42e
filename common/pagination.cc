#include "common/pagination.h"

#include <openssl/crypto.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"

namespace retail {
namespace {

constexpr char kVersion = 1;      // one key
constexpr char kPairVersion = 2;  // two keys
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

std::string PageTokenCodec::EncodeKeys(
    absl::string_view scope, char version,
    std::initializer_list<int64_t> keys) const {
  std::string body(1, version);
  for (const int64_t k : keys) {
    const uint64_t key = static_cast<uint64_t>(k);
    for (size_t i = 0; i < kKeyBytes; ++i) {
      body.push_back(
          static_cast<char>((key >> (8 * (kKeyBytes - 1 - i))) & 0xff));
    }
  }
  return absl::WebSafeBase64Escape(absl::StrCat(body, Mac(body, scope)));
}

absl::StatusOr<std::vector<int64_t>> PageTokenCodec::DecodeKeys(
    absl::string_view token, absl::string_view scope, absl::string_view field,
    char version, size_t count) const {
  const absl::Status invalid = InvalidArgument(
      field,
      "is not a next_page_token returned by this list with the same filter");
  const size_t body_bytes = 1 + kKeyBytes * count;
  std::string raw;
  if (token.size() > 96 || !absl::WebSafeBase64Unescape(token, &raw) ||
      raw.size() != body_bytes + kMacBytes || raw[0] != version) {
    return invalid;
  }
  const std::string body = raw.substr(0, body_bytes);
  const std::string mac = Mac(body, scope);
  if (CRYPTO_memcmp(mac.data(), raw.data() + body_bytes, kMacBytes) != 0) {
    return invalid;
  }
  std::vector<int64_t> keys;
  for (size_t k = 0; k < count; ++k) {
    uint64_t key = 0;
    for (size_t i = 0; i < kKeyBytes; ++i) {
      key =
          (key << 8) | static_cast<unsigned char>(body[1 + k * kKeyBytes + i]);
    }
    keys.push_back(static_cast<int64_t>(key));
  }
  return keys;
}

std::string PageTokenCodec::Encode(absl::string_view scope,
                                   int64_t last_key) const {
  return EncodeKeys(scope, kVersion, {last_key});
}

std::string PageTokenCodec::EncodePair(
    absl::string_view scope, std::pair<int64_t, int64_t> last_keys) const {
  return EncodeKeys(scope, kPairVersion, {last_keys.first, last_keys.second});
}

absl::StatusOr<int64_t> PageTokenCodec::Decode(absl::string_view token,
                                               absl::string_view scope,
                                               absl::string_view field) const {
  if (token.empty()) return 0;
  ASSIGN_OR_RETURN(std::vector<int64_t> keys,
                   DecodeKeys(token, scope, field, kVersion, 1));
  return keys[0];
}

absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>>
PageTokenCodec::DecodePair(absl::string_view token, absl::string_view scope,
                           absl::string_view field) const {
  if (token.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::vector<int64_t> keys,
                   DecodeKeys(token, scope, field, kPairVersion, 2));
  return std::make_pair(keys[0], keys[1]);
}

}  // namespace retail
