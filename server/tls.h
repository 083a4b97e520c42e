// Transport security: which listen addresses may serve plaintext, and the
// TLS (or mTLS) credentials of the server, re-read from their files while
// it runs (README, "Secure transport").
#ifndef RETAIL_SERVER_TLS_H_
#define RETAIL_SERVER_TLS_H_

#include <grpcpp/security/auth_context.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth.h"

namespace retail {

struct TlsOptions {
  // PEM files. TLS is on when cert_file is set; key_file must be set with it.
  std::string cert_file;  // the server's certificate chain, leaf first
  std::string key_file;
  // PEM bundle of the CAs client certificates must chain to. Set: every
  // client must present a certificate it verifies (mTLS).
  std::string client_ca_file;
  // How often the files are looked at again. gRPC's file watcher only polls
  // (no inotify), and an interval of hours would leave a rotated
  // certificate unused for that long; a minute costs three small reads.
  absl::Duration reload_interval = absl::Minutes(1);

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
  bool mutual() const { return !client_ca_file.empty(); }
};

// Whether `listen` ("host:port", "[v6]:port", "unix:path") only accepts
// connections from this machine: 127.0.0.0/8, ::1 (also as ::ffff:127.x),
// "localhost", or a Unix socket. A wildcard (0.0.0.0, [::], ":port") or any
// other name is not: a name could resolve anywhere.
bool IsLoopbackListen(absl::string_view listen);

// Refuses plaintext on an address other machines can reach: tokens and
// customers' data would cross the network readable by anyone on the path.
absl::Status CheckListenSecurity(absl::string_view listen,
                                 const TlsOptions& tls);

// Reads and checks the files now (so a wrong path, an unreadable or
// mismatched key, an expired certificate or an empty CA bundle stops
// start-up, naming the flag and the file), then builds credentials that
// re-read them every `reload_interval`. After start-up a bad file is logged
// by gRPC and new handshakes fail until it is fixed; connections already
// open keep their session.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsOptions& tls);

// The DNS and URI subject alternative names of the peer's certificate, when
// `context` is a TLS connection whose client certificate the handshake
// verified (the server required one: `client_certs_verified`); empty
// otherwise, e.g. plaintext, in-process, or TLS without a client CA.
std::vector<CertificateName> VerifiedPeerNames(const grpc::AuthContext& context,
                                               bool client_certs_verified);

}  // namespace retail

#endif  // RETAIL_SERVER_TLS_H_
