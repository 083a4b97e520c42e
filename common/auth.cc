#include "common/auth.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/types/optional.h"
#include "common/ids.h"
#include "common/logging.h"

namespace retail {
namespace {

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "agent") return Role::kAgent;
  if (name == "branch") return Role::kBranch;
  if (name == "service") return Role::kService;
  if (name == "auditor") return Role::kAuditor;
  return absl::InvalidArgumentError(absl::StrCat("unknown role '", name, "'"));
}

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsDnsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '.';
}

// A certificate credential ("dns:<name>" or "uri:<uri>", after "san:").
absl::StatusOr<CertificateName> ParseCertificateName(absl::string_view text) {
  CertificateName name;
  if (absl::ConsumePrefix(&text, "dns:")) {
    name.type = CertificateName::Type::kDns;
    if (text.empty() || text.size() > 253) {
      return absl::InvalidArgumentError(
          "san:dns: needs a DNS name of 1..253 characters");
    }
    if (absl::StrContains(text, '*')) {
      // A wildcard in a client certificate would bind every name it covers;
      // bind each service's own name instead.
      return absl::InvalidArgumentError(absl::StrCat(
          "san:dns:", text, ": wildcards are not matched; name the exact SAN"));
    }
    for (char c : text) {
      if (!IsDnsNameChar(c)) {
        return absl::InvalidArgumentError(
            absl::StrCat("san:dns:", text,
                         ": a DNS name has only letters, digits, '-' "
                         "and '.'"));
      }
    }
    // DNS names compare without regard to case (RFC 4343).
    name.value = absl::AsciiStrToLower(text);
    return name;
  }
  if (absl::ConsumePrefix(&text, "uri:")) {
    name.type = CertificateName::Type::kUri;
    const size_t colon = text.find(':');
    bool scheme_ok = colon != absl::string_view::npos && colon > 0 &&
                     absl::ascii_isalpha(static_cast<unsigned char>(text[0]));
    for (size_t i = 0; scheme_ok && i < colon; ++i) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      scheme_ok = absl::ascii_isalnum(c) || c == '+' || c == '-' || c == '.';
    }
    if (!scheme_ok || colon + 1 == text.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "san:uri:", text,
          ": expected an absolute URI such as spiffe://retail/store/b001"));
    }
    name.value = std::string(text);
    return name;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("san:", text, ": expected san:dns:<name> or san:uri:<uri>"));
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
         st.st_mtim.tv_nsec;
}

int64_t FileMtimeNs(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return MtimeNs(st);
}

// Closes the descriptor when it goes out of scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The login name of `uid`, or the number when it has none.
std::string UserName(uid_t uid) {
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[1024];
  if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found != nullptr) {
    return found->pw_name;
  }
  return absl::StrCat(uid);
}

std::string ModeString(mode_t mode) {
  char out[8];
  std::snprintf(out, sizeof(out), "%04o", static_cast<unsigned>(mode & 07777));
  return out;
}

// The auth config decides who is admin, so whoever can change it is admin.
// Refuses the file unless only this server's user (or root) can: the file
// must be owned by either, not writable by group or others, and must not
// sit in a directory where others can replace it. The checks run on the
// descriptors that are then read (fstat, openat), so the file cannot be
// swapped between the check and the read.
absl::Status CheckTrusted(const std::string& path, const std::string& dir,
                          const struct stat& dir_st, const struct stat& st) {
  if ((dir_st.st_mode & S_IWOTH) != 0 && (dir_st.st_mode & S_ISVTX) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing auth config ", path, ": its directory ", dir,
        " is writable by every user (mode ", ModeString(dir_st.st_mode),
        ") without the sticky bit, so anyone could replace the file; fix: "
        "chmod o-w ",
        dir));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing auth config ", path, ": not a regular file"));
  }
  const uid_t euid = geteuid();
  if (st.st_uid != euid && st.st_uid != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing auth config ", path, ": it is owned by user ",
        UserName(st.st_uid), " (uid ", st.st_uid,
        "), who could grant any role, not by the user the server runs as (",
        UserName(euid), ", uid ", euid, ") or root; fix: sudo chown ",
        UserName(euid), " ", path));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    const char* who = (st.st_mode & S_IWOTH) == 0 ? "its group"
                      : (st.st_mode & S_IWGRP) == 0
                          ? "every user"
                          : "its group and every user";
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing auth config ", path, ": it is writable by ", who, " (mode ",
        ModeString(st.st_mode),
        "), so they could grant themselves any role; fix: chmod 600 ", path));
  }
  return absl::OkStatus();
}

// Reads the auth config at `path` after CheckTrusted, and its mtime.
absl::StatusOr<std::string> ReadAuthConfig(const std::string& path,
                                           int64_t* mtime_ns) {
  auto cannot_read = [&path](absl::string_view what) {
    const char* error = std::strerror(errno);
    return absl::NotFoundError(absl::StrCat("cannot read auth config ", path,
                                            ": ", what,
                                            what.empty() ? "" : ": ", error));
  };
  // The directory that matters is the one holding the file itself, also
  // when `path` is a symlink (e.g. a Kubernetes ConfigMap mount).
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr) return cannot_read("");
  const std::string real(resolved);
  const size_t slash = real.rfind('/');
  const std::string dir = slash == 0 ? "/" : real.substr(0, slash);
  const std::string name = real.substr(slash + 1);

  ScopedFd dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) return cannot_read(absl::StrCat("directory ", dir));
  // O_NOFOLLOW: the name was resolved above, so a symlink here means it was
  // swapped since; O_NONBLOCK: a FIFO planted there must not hang start-up
  // (it is refused below as not a regular file).
  ScopedFd fd(
      openat(dir_fd.get(), name.c_str(),
             O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return cannot_read("");
  struct stat dir_st;
  struct stat st;
  if (fstat(dir_fd.get(), &dir_st) != 0 || fstat(fd.get(), &st) != 0) {
    return cannot_read("fstat");
  }
  if (absl::Status trusted = CheckTrusted(path, dir, dir_st, st);
      !trusted.ok()) {
    return trusted;
  }
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return cannot_read("read");
    }
    text.append(buf, static_cast<size_t>(n));
  }
  *mtime_ns = MtimeNs(st);
  return text;
}

// The rate= and burst= options of one line, checked together at its end.
struct RateLimitOptions {
  bool has_rate = false;
  bool has_burst = false;
  double rate = 0;  // per second; 0: rate=none
  double burst = 0;

  absl::Status Take(absl::string_view key, absl::string_view value,
                    absl::string_view word) {
    if (key == "rate" && !has_rate) {
      has_rate = true;
      return ParseRate(value, &rate);
    }
    if (key == "burst" && !has_burst) {
      has_burst = true;
      if (!absl::SimpleAtod(value, &burst) || !std::isfinite(burst) ||
          burst < 1 || burst > 1e9) {
        return absl::InvalidArgumentError(
            absl::StrCat("burst=", value, ": expected a number of calls >= 1"));
      }
      return absl::OkStatus();
    }
    if (key == "rate" || key == "burst") {
      return absl::InvalidArgumentError(absl::StrCat("duplicate ", key, "="));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown option '", word, "'"));
  }

  absl::StatusOr<RateLimit> Build() const {
    if (!has_rate) {
      return absl::InvalidArgumentError("burst= needs rate=<n>/s");
    }
    if (rate == 0) {
      if (has_burst) {
        return absl::InvalidArgumentError("rate=none takes no burst=");
      }
      return RateLimit{};
    }
    // Default burst: one second's worth of calls, at least one.
    return RateLimit{rate, has_burst ? burst : std::max(1.0, std::ceil(rate))};
  }
};

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kAgent:
      return "agent";
    case Role::kBranch:
      return "branch";
    case Role::kService:
      return "service";
    case Role::kAuditor:
      return "auditor";
  }
  return "unknown";
}

absl::StatusOr<bool> PiiVisible(const Principal& principal, bool reveal) {
  switch (principal.role) {
    case Role::kAdmin:
    case Role::kBranch:
      return true;
    case Role::kAgent:
      return reveal;
    case Role::kService:
    case Role::kAuditor:
      if (reveal) {
        return absl::PermissionDeniedError(absl::StrCat(
            "role '", RoleName(principal.role), "' may not use reveal_pii"));
      }
      return false;
  }
  return false;
}

std::string CertificateNameText(const CertificateName& name) {
  return absl::StrCat(
      name.type == CertificateName::Type::kDns ? "dns:" : "uri:", name.value);
}

absl::StatusOr<AuthConfig> AuthConfig::Parse(absl::string_view text) {
  AuthConfig config;
  absl::flat_hash_set<std::string> ids;
  // Principals without their own rate=, which take their role's default
  // once every `limit` line has been read.
  std::vector<std::shared_ptr<Principal>> role_limited;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat("auth config line ", line_no, ": ", what));
    };
    if (words[0] == "limit") {
      absl::optional<Role> role;
      RateLimitOptions limit;
      for (size_t i = 1; i < words.size(); ++i) {
        std::pair<absl::string_view, absl::string_view> kv =
            absl::StrSplit(words[i], absl::MaxSplits('=', 1));
        if (kv.first == "role" && !role.has_value()) {
          auto parsed = ParseRole(kv.second);
          if (!parsed.ok()) return error(parsed.status().message());
          role = *parsed;
        } else if (absl::Status s = limit.Take(kv.first, kv.second, words[i]);
                   !s.ok()) {
          return error(s.message());
        }
      }
      if (!role.has_value() || !limit.has_rate) {
        return error(
            "expected 'limit role=<role> rate=<n>/s [burst=<n>]' (a role's "
            "default rate limit)");
      }
      absl::StatusOr<RateLimit> parsed = limit.Build();
      if (!parsed.ok()) return error(parsed.status().message());
      if (!config.role_limits_.emplace(*role, *parsed).second) {
        return error(
            absl::StrCat("duplicate limit for role '", RoleName(*role), "'"));
      }
      continue;
    }
    if (words.size() < 3) {
      return error(
          "expected 'sha256:<hex> <principal_id> <role> [key=value...]' or "
          "'san:dns:<name> <principal_id> <role> [key=value...]'");
    }
    absl::optional<CertificateName> san;
    if (absl::ConsumePrefix(&words[0], "san:")) {
      absl::StatusOr<CertificateName> parsed = ParseCertificateName(words[0]);
      if (!parsed.ok()) return error(parsed.status().message());
      san = std::move(*parsed);
    } else if (!absl::ConsumePrefix(&words[0], "sha256:") ||
               words[0].size() != 64 || !IsLowerHex(words[0])) {
      return error(
          "the first word must be sha256:<64 lower-case hex digits> (a "
          "token) or san:dns:<name> / san:uri:<uri> (a client certificate)");
    }
    auto principal = std::make_shared<Principal>();
    principal->id = std::string(words[1]);
    auto role = ParseRole(words[2]);
    if (!role.ok()) return error(role.status().message());
    principal->role = *role;
    RateLimitOptions limit;
    for (size_t i = 3; i < words.size(); ++i) {
      std::pair<absl::string_view, absl::string_view> kv =
          absl::StrSplit(words[i], absl::MaxSplits('=', 1));
      if (kv.first == "rate" || kv.first == "burst") {
        if (absl::Status s = limit.Take(kv.first, kv.second, words[i]);
            !s.ok()) {
          return error(s.message());
        }
      } else if (kv.first == "branch" && !kv.second.empty()) {
        principal->branch_id = std::string(kv.second);
      } else if (kv.first == "methods" && !kv.second.empty()) {
        for (absl::string_view m :
             absl::StrSplit(kv.second, ',', absl::SkipEmpty())) {
          principal->methods.insert(std::string(m));
        }
      } else {
        return error(absl::StrCat("unknown option '", words[i], "'"));
      }
    }
    if (principal->role == Role::kBranch && principal->branch_id.empty()) {
      return error("role branch needs branch=<branch_id>");
    }
    if (principal->role != Role::kBranch && !principal->branch_id.empty()) {
      return error("only role branch takes branch=");
    }
    if (principal->role == Role::kService && principal->methods.empty()) {
      return error("role service needs methods=<pkg.Service/Method>,...");
    }
    if (limit.has_rate || limit.has_burst) {
      absl::StatusOr<RateLimit> parsed = limit.Build();
      if (!parsed.ok()) return error(parsed.status().message());
      principal->rate_limit = *parsed;
    } else {
      role_limited.push_back(principal);
    }
    if (!ids.insert(principal->id).second) {
      return error(
          absl::StrCat("duplicate principal id '", principal->id, "'"));
    }
    if (san.has_value()) {
      const std::string key = CertificateNameText(*san);
      if (!config.by_san_.emplace(key, std::move(principal)).second) {
        return error(absl::StrCat("duplicate certificate name san:", key));
      }
    } else if (!config.by_hash_
                    .emplace(std::string(words[0]), std::move(principal))
                    .second) {
      return error("duplicate token hash");
    }
  }
  // Still unshared: the config is not returned yet.
  for (const std::shared_ptr<Principal>& principal : role_limited) {
    principal->rate_limit = config.RoleLimit(principal->role);
  }
  return config;
}

RateLimit AuthConfig::RoleLimit(Role role) const {
  auto it = role_limits_.find(role);
  return it == role_limits_.end() ? RateLimit{} : it->second;
}

std::shared_ptr<const Principal> AuthConfig::Find(
    absl::string_view token_sha256) const {
  auto it = by_hash_.find(token_sha256);
  return it == by_hash_.end() ? nullptr : it->second;
}

std::shared_ptr<const Principal> AuthConfig::FindCertificate(
    const CertificateName& name) const {
  auto it = by_san_.find(CertificateNameText(name));
  return it == by_san_.end() ? nullptr : it->second;
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    std::string path, const Clock* clock) {
  auto auth = std::unique_ptr<Authenticator>(new Authenticator(
      std::move(path), clock != nullptr ? *clock : *SystemClock::Get()));
  std::lock_guard<std::mutex> lock(auth->mu_);
  absl::Status status = auth->Reload();
  if (!status.ok()) return status;
  return auth;
}

absl::Status Authenticator::Reload() {
  int64_t mtime = -1;
  absl::StatusOr<std::string> text = ReadAuthConfig(path_, &mtime);
  if (!text.ok()) return text.status();
  auto parsed = AuthConfig::Parse(*text);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": ", parsed.status().message()));
  }
  config_ = std::make_shared<const AuthConfig>(std::move(*parsed));
  verified_.clear();  // a revoked token must stop working now
  loaded_mtime_ns_ = mtime;
  RETAIL_LOG(INFO) << "auth config " << path_ << ": " << config_->size()
                   << " principal(s)";
  return absl::OkStatus();
}

void Authenticator::MaybeReload() {
  // At most one stat() per second, whatever the request rate.
  const int64_t now = clock_.NowMicros() * 1000;
  if (now < next_check_ns_) return;
  next_check_ns_ = now + 1'000'000'000;
  if (FileMtimeNs(path_) == loaded_mtime_ns_) return;
  absl::Status status = Reload();
  if (!status.ok()) {
    RETAIL_LOG(ERROR) << "keeping the previous auth config: " << status;
  }
}

absl::Status Authenticator::ReloadNow() {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status status = Reload();
  // The next look at the mtime is a second from now, as after any check.
  next_check_ns_ = clock_.NowMicros() * 1000 + 1'000'000'000;
  return status;
}

std::shared_ptr<const AuthConfig> Authenticator::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  MaybeReload();
  return config_;
}

absl::StatusOr<std::shared_ptr<const Principal>>
Authenticator::AuthenticateCertificate(
    absl::Span<const CertificateName> names) {
  const std::shared_ptr<const AuthConfig> config = Current();
  std::shared_ptr<const Principal> found;
  std::vector<std::string> texts;
  for (const CertificateName& name : names) {
    CertificateName key = name;
    if (key.type == CertificateName::Type::kDns) {
      key.value = absl::AsciiStrToLower(key.value);
    }
    texts.push_back(absl::StrCat("san:", CertificateNameText(key)));
    std::shared_ptr<const Principal> principal = config->FindCertificate(key);
    if (principal == nullptr) continue;
    if (found != nullptr && found->id != principal->id) {
      return absl::UnauthenticatedError(absl::StrCat(
          "the client certificate's names are bound to more than one "
          "principal ('",
          found->id, "' and '", principal->id,
          "') in the auth config; bind only one, or send a bearer token"));
    }
    found = std::move(principal);
  }
  if (found == nullptr) {
    return absl::UnauthenticatedError(absl::StrCat(
        "no principal is bound to this client certificate (",
        texts.empty() ? "it has no DNS or URI name"
                      : absl::StrJoin(texts, ", "),
        "); send 'authorization: Bearer <token>' or bind one of its names "
        "in the auth config"));
  }
  return found;
}

absl::StatusOr<std::shared_ptr<const Principal>> Authenticator::Authenticate(
    absl::string_view authorization) {
  absl::string_view token = authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ") || token.empty()) {
    return absl::UnauthenticatedError(
        "missing credentials: send metadata 'authorization: Bearer <token>'");
  }
  std::shared_ptr<const AuthConfig> config;
  {
    std::lock_guard<std::mutex> lock(mu_);
    MaybeReload();
    auto it = verified_.find(token);
    if (it != verified_.end()) return it->second;
    config = config_;
  }
  auto principal = config->Find(Sha256Hex(token));
  if (principal == nullptr) {
    // Unknown tokens are not remembered: a caller guessing tokens must not
    // be able to grow the cache.
    return absl::UnauthenticatedError("unknown or revoked token");
  }
  std::lock_guard<std::mutex> lock(mu_);
  // Only if no reload happened meanwhile (it would have revoked the entry).
  if (config == config_) {
    if (verified_.size() >= kMaxVerifiedTokens) verified_.clear();
    verified_.emplace(token, principal);
  }
  return principal;
}

}  // namespace retail
