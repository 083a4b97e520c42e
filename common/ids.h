// Resource ids and secrets.
#ifndef RETAIL_COMMON_IDS_H_
#define RETAIL_COMMON_IDS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace retail {

// Returns `prefix` + "_" + 26 Crockford base32 characters: 48 bits of
// millisecond time then 80 random bits (ULID layout). Ids sort roughly by
// creation time, which keeps B-tree inserts local, and cannot be guessed,
// so a caller cannot enumerate another branch's records.
std::string NewId(absl::string_view prefix, int64_t now_micros);

// `n` bytes from the operating system's CSPRNG.
std::string RandomBytes(size_t n);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// Raw 32-byte SHA-256 of `data`.
std::string Sha256(absl::string_view data);

// Raw HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(absl::string_view key, absl::string_view data);

}  // namespace retail

#endif  // RETAIL_COMMON_IDS_H_
