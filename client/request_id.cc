#include "client/request_id.h"

#include <array>
#include <cstdint>
#include <iostream>
#include <random>

#include "absl/strings/str_format.h"

namespace retail::cli {

std::string NewRequestId() {
  // random_device reads the OS entropy source, so two agents (or two quick
  // retries) never share a key the way a time-seeded PRNG could.
  std::random_device device;
  std::array<uint8_t, 16> bytes;
  for (size_t i = 0; i < bytes.size(); i += 4) {
    const uint32_t word = device();
    for (size_t k = 0; k < 4; ++k) bytes[i + k] = (word >> (8 * k)) & 0xFF;
  }
  bytes[6] = (bytes[6] & 0x0F) | 0x40;  // Version 4: random.
  bytes[8] = (bytes[8] & 0x3F) | 0x80;  // Variant 1: RFC 4122.
  std::string id;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id.push_back('-');
    absl::StrAppendFormat(&id, "%02x", bytes[i]);
  }
  return id;
}

std::string ChooseRequestId(const std::string& flag_value) {
  const std::string id = flag_value.empty() ? NewRequestId() : flag_value;
  // Nothing after the id: scripts take the rest of the line as the key. How
  // to use it is in the --request-id help and the README.
  std::cerr << "request_id: " << id << '\n';
  return id;
}

}  // namespace retail::cli
