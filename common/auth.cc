#include "common/auth.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
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

int64_t FileMtimeNs(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
         st.st_mtim.tv_nsec;
}

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

absl::Status Authorize(const Principal& principal, absl::string_view method,
                       Access access) {
  bool allowed = false;
  switch (principal.role) {
    case Role::kAdmin:
    case Role::kAgent:
      allowed = true;
      break;
    case Role::kBranch:
      allowed = access != Access::kErase;
      break;
    case Role::kAuditor:
      allowed = access == Access::kRead;
      break;
    case Role::kService:
      allowed = principal.methods.contains(method);
      break;
  }
  if (allowed) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "role '", RoleName(principal.role), "' may not call ", method));
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

absl::StatusOr<AuthConfig> AuthConfig::Parse(absl::string_view text) {
  AuthConfig config;
  absl::flat_hash_set<std::string> ids;
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
    if (words.size() < 3) {
      return error(
          "expected 'sha256:<hex> <principal_id> <role> [key=value...]'");
    }
    if (!absl::ConsumePrefix(&words[0], "sha256:") || words[0].size() != 64 ||
        !IsLowerHex(words[0])) {
      return error("the first word must be sha256:<64 lower-case hex digits>");
    }
    auto principal = std::make_shared<Principal>();
    principal->id = std::string(words[1]);
    auto role = ParseRole(words[2]);
    if (!role.ok()) return error(role.status().message());
    principal->role = *role;
    for (size_t i = 3; i < words.size(); ++i) {
      std::pair<absl::string_view, absl::string_view> kv =
          absl::StrSplit(words[i], absl::MaxSplits('=', 1));
      if (kv.first == "branch" && !kv.second.empty()) {
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
    if (!ids.insert(principal->id).second) {
      return error(
          absl::StrCat("duplicate principal id '", principal->id, "'"));
    }
    if (!config.by_hash_.emplace(std::string(words[0]), std::move(principal))
             .second) {
      return error("duplicate token hash");
    }
  }
  return config;
}

std::shared_ptr<const Principal> AuthConfig::Find(
    absl::string_view token_sha256) const {
  auto it = by_hash_.find(token_sha256);
  return it == by_hash_.end() ? nullptr : it->second;
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    std::string path) {
  auto auth =
      std::unique_ptr<Authenticator>(new Authenticator(std::move(path)));
  std::lock_guard<std::mutex> lock(auth->mu_);
  absl::Status status = auth->Reload();
  if (!status.ok()) return status;
  return auth;
}

absl::Status Authenticator::Reload() {
  const int64_t mtime = FileMtimeNs(path_);
  std::ifstream in(path_);
  if (mtime < 0 || !in) {
    return absl::NotFoundError(absl::StrCat("cannot read auth config ", path_));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = AuthConfig::Parse(text.str());
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
  const int64_t now = absl::GetCurrentTimeNanos();
  if (now < next_check_ns_) return;
  next_check_ns_ = now + 1'000'000'000;
  if (FileMtimeNs(path_) == loaded_mtime_ns_) return;
  absl::Status status = Reload();
  if (!status.ok()) {
    RETAIL_LOG(ERROR) << "keeping the previous auth config: " << status;
  }
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
