// Identity (docs/architecture.md, "Identity and access").
//
// Authentication maps a bearer token, or the verified client certificate of a
// direct mTLS connection, to a Principal using the auth config file.
// Authorization is each module's access table (common/access.h). The branch
// restriction is not checked there: stores put BranchScope() into their WHERE
// clauses, so a branch caller can never read another branch's row, whatever the
// request says.
#ifndef RETAIL_COMMON_AUTH_H_
#define RETAIL_COMMON_AUTH_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/clock.h"
#include "common/rate_limiter.h"

namespace retail {

enum class Role { kAdmin, kAgent, kBranch, kService, kAuditor };

absl::string_view RoleName(Role role);

struct Principal {
  std::string id;
  Role role = Role::kAuditor;
  std::string branch_id;  // only for kBranch
  // Full method names ("pkg.Service/Method") a kService principal may call.
  absl::flat_hash_set<std::string> methods;
  // Calls per second this principal may make to one server process (its own
  // rate= option, else its role's `limit` line); unlimited by default.
  RateLimit rate_limit;
};

// The branch a caller is confined to, or "" for chain-wide roles.
inline const std::string& BranchScope(const Principal& principal) {
  static const std::string kAll;
  return principal.role == Role::kBranch ? principal.branch_id : kAll;
}

// Whether phone and email are shown unmasked. admin and branch (its own
// customers) see them; agent only when it asks (reveal_pii, audited by the
// caller); service and auditor never: asking is PERMISSION_DENIED.
absl::StatusOr<bool> PiiVisible(const Principal& principal, bool reveal);

// An agent unmasking personal data must leave an audit row before the data
// leaves the server (db::ReplyAfterRevealAudit).
inline bool NeedsRevealAudit(const Principal& principal, bool reveal) {
  return reveal && principal.role == Role::kAgent;
}

// One subject alternative name of a client certificate the TLS handshake
// has verified against --tls_client_ca_file.
struct CertificateName {
  enum class Type { kDns, kUri };
  Type type = Type::kDns;
  std::string value;
};

// "dns:<name>" or "uri:<uri>", as the auth config writes it after "san:".
std::string CertificateNameText(const CertificateName& name);

// The parsed auth config. Format, one principal per line ('#' comments):
//   <credential>  <principal_id>  <role>  [branch=<id>]
//       [methods=<pkg.Service/Method>,...] [rate=<r> [burst=<n>]]
// and, anywhere in the file, at most one default limit per role:
//   limit  role=<role>  rate=<r>  [burst=<n>]
// where <credential> is one of
//   sha256:<hex sha256 of token>  a bearer token
//   san:dns:<name>                a client certificate with this DNS SAN
//   san:uri:<uri>                 a client certificate with this URI SAN
//                                 (e.g. spiffe://retail/store/b001)
// Only token hashes are stored, so the file does not hold usable secrets. A
// certificate name is matched exactly (DNS names ignoring case; no
// wildcards), and only on a direct mTLS connection whose certificate the
// server verified: a name is no secret, the CA's signature is what counts.
//
// Rate limits (issue 15; common/rate_limiter.h): <r> is "<n>/s", "<n>/m" or
// "<n>/h" (n > 0, fractions allowed: "0.5/s"), or "none"; <n> of burst= is
// the most calls the principal may make at once after being idle (>= 1;
// default: one second's worth of the rate, at least 1). A principal's own
// rate= wins over its role's `limit` line (rate=none: unlimited whatever
// the role's default); a principal with neither is not limited. Limits are
// per server process: with N replicas each enforces its own bucket, so the
// fleet admits up to N times the rate. An exceeded limit is answered
// RESOURCE_EXHAUSTED (reason RATE_LIMITED) with a google.rpc.RetryInfo. A
// reload applies new limits to the next call; health checks are never
// limited. Example:
//   limit role=branch rate=20/s burst=40
//   sha256:<hex> pos-b001 branch branch=B001            (20/s, burst 40)
//   sha256:<hex> crm service methods=... rate=50/s burst=100
//   sha256:<hex> batch-export agent rate=none
class AuthConfig {
 public:
  static absl::StatusOr<AuthConfig> Parse(absl::string_view text);
  // The principal for a token's lower-case hex SHA-256, or nullptr.
  std::shared_ptr<const Principal> Find(absl::string_view token_sha256) const;
  // The principal bound to a certificate name, or nullptr.
  std::shared_ptr<const Principal> FindCertificate(
      const CertificateName& name) const;
  size_t size() const { return by_hash_.size() + by_san_.size(); }
  // The default limit of `role` (its `limit` line), unlimited if none.
  RateLimit RoleLimit(Role role) const;

 private:
  absl::flat_hash_map<std::string, std::shared_ptr<const Principal>> by_hash_;
  // Keyed by CertificateNameText (DNS names lower-cased).
  absl::flat_hash_map<std::string, std::shared_ptr<const Principal>> by_san_;
  absl::flat_hash_map<Role, RateLimit> role_limits_;
};

// Authenticates callers against the auth config file, re-reading it when it
// changes (so `scripts/add-token` needs no restart). A file that fails to
// parse on reload is logged and the previous config stays in force.
class Authenticator {
 public:
  // Loads `path`; fails if it is missing or invalid, or if a user other than
  // its owner could change it (group/other-writable file, a file owned by
  // someone else, a directory others may write). `clock` (business time)
  // paces the re-reads: at most one look at the file per second of it; null
  // is the system clock.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(
      std::string path, const Clock* clock = nullptr);

  // `authorization` is the metadata value, "Bearer <token>". UNAUTHENTICATED
  // if it is missing, malformed or unknown.
  absl::StatusOr<std::shared_ptr<const Principal>> Authenticate(
      absl::string_view authorization);

  // The principal bound (san:...) to one of `names`, the SANs of a client
  // certificate the TLS handshake verified. UNAUTHENTICATED if none is
  // bound, or if they name more than one principal (which one acts would
  // be a guess).
  absl::StatusOr<std::shared_ptr<const Principal>> AuthenticateCertificate(
      absl::Span<const CertificateName> names);

  // Re-reads the file now, whether or not its mtime changed (SIGHUP). On
  // error the previous config stays in force and the error is returned.
  absl::Status ReloadNow();

 private:
  Authenticator(std::string path, const Clock& clock)
      : path_(std::move(path)), clock_(clock) {}
  absl::Status Reload();
  void MaybeReload();
  // The current config, after MaybeReload.
  std::shared_ptr<const AuthConfig> Current();

  const std::string path_;
  const Clock& clock_;
  std::mutex mu_;
  std::shared_ptr<const AuthConfig> config_;
  // Tokens already verified against config_ (SHA-256 per call was ~5% of a
  // point read). Holds tokens the server receives anyway; cleared on every
  // reload and when full. Every known principal fits many times over.
  static constexpr size_t kMaxVerifiedTokens = 4096;
  absl::flat_hash_map<std::string, std::shared_ptr<const Principal>> verified_;
  int64_t loaded_mtime_ns_ = -1;
  int64_t next_check_ns_ = 0;
};

}  // namespace retail

#endif  // RETAIL_COMMON_AUTH_H_
