#ifndef RETAIL_CLIENT_GLOBAL_OPTIONS_H_
#define RETAIL_CLIENT_GLOBAL_OPTIONS_H_

#include <string>

namespace retail::cli {

// How command results are printed on stdout.
enum class OutputFormat {
  // Aligned, human-readable rows for support agents at a terminal.
  kTable,
  // Protobuf JSON of the whole response, for scripts.
  kJson,
};

// Process exit codes. Scripts rely on these to tell "the server said no" (or
// the agent declined a confirmation) apart from "the command line was wrong".
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Options shared by every subcommand. main() owns the one instance; command
// callbacks hold a const reference and read it only after parsing is done.
struct GlobalOptions {
  // host:port of retail_server.
  std::string addr = "127.0.0.1:50051";
  // Bearer token from --token or RETAIL_TOKEN. Empty means "look in the token
  // file"; see ResolveToken() in connection.h.
  std::string token;
  // Staff id from --staff or RETAIL_STAFF: the person acting at a shared
  // store token, sent as "x-staff-id" metadata. Empty means none is sent.
  // Already checked against the id syntax (see IdValidator()) when set.
  std::string staff_id;
  // PEM files from --ca-file / RETAIL_CA_FILE, --cert-file /
  // RETAIL_CERT_FILE and --key-file / RETAIL_KEY_FILE. Any of them set: the
  // connection uses TLS, verifying the server against ca_file (the system's
  // CAs when empty) and presenting cert_file + key_file when set (mTLS).
  // None: plaintext, for a server on loopback.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  OutputFormat output = OutputFormat::kTable;
  // Per-call deadline in seconds.
  double timeout_seconds = 10;
};

}  // namespace retail::cli

#endif  // RETAIL_CLIENT_GLOBAL_OPTIONS_H_
