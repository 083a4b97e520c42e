#ifndef RETAIL_CLIENT_REQUEST_ID_H_
#define RETAIL_CLIENT_REQUEST_ID_H_

#include <string>

namespace retail::cli {

// A random UUID version 4 in lower-case 8-4-4-4-12 form. It satisfies the
// server's request_id syntax (8..64 of [A-Za-z0-9_-]).
std::string NewRequestId();

// The idempotency key for one mutating command (AIP-155): `flag_value` when
// the agent passed --request-id, otherwise a new UUID. The key is written to
// stderr as the line
//   request_id: <id>
// before the call is made, in every output mode, so that after a timeout or
// a dropped connection the agent or script can repeat the command with
// --request-id and be sure the change is applied at most once. The line is
// the same in both modes so scripts can rely on it; stdout stays pure JSON.
std::string ChooseRequestId(const std::string& flag_value);

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_REQUEST_ID_H_
