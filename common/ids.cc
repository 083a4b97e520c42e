#include "common/ids.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdlib>

#include "absl/strings/escaping.h"

namespace retail {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n)) != 1) {
    // Without randomness ids and tokens would be guessable; refuse to go on.
    std::abort();
  }
  return out;
}

std::string NewId(absl::string_view prefix, int64_t now_micros) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const uint64_t millis = static_cast<uint64_t>(now_micros / 1000);
  const std::string random = RandomBytes(10);
  // 128 bits: 48 time bits, 80 random bits, emitted 5 bits at a time.
  unsigned char bits[16];
  for (int i = 0; i < 6; ++i) bits[i] = (millis >> (8 * (5 - i))) & 0xff;
  for (int i = 0; i < 10; ++i)
    bits[6 + i] = static_cast<unsigned char>(random[i]);
  std::string out(prefix);
  out += '_';
  // 26 chars * 5 bits = 130 bits; the first char carries the top 3 bits.
  for (int c = 0; c < 26; ++c) {
    int bit_index = c * 5 - 2;  // may be negative for the first character
    int value = 0;
    for (int b = 0; b < 5; ++b, ++bit_index) {
      value <<= 1;
      if (bit_index >= 0)
        value |= (bits[bit_index / 8] >> (7 - bit_index % 8)) & 1;
    }
    out += kAlphabet[value];
  }
  return out;
}

std::string Sha256(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return std::string(reinterpret_cast<char*>(digest), sizeof(digest));
}

std::string Sha256Hex(absl::string_view data) {
  return absl::BytesToHexString(Sha256(data));
}

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

}  // namespace retail
