#include "common/access.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/validation.h"

namespace retail {

absl::string_view ActName(Act act) {
  switch (act) {
    case Act::kRead:
      return "read";
    case Act::kWrite:
      return "write";
    case Act::kExport:
      return "export";
    case Act::kErase:
      return "erase";
    case Act::kApprove:
      return "approve";
  }
  return "unknown";
}

void AccessTable::Add(AccessRule rule) {
  auto [it, inserted] = by_name_.emplace(rule.method_name, rules_.size());
  if (!inserted) {
    rules_[it->second] = std::move(rule);  // a later rule replaces
    return;
  }
  rules_.push_back(std::move(rule));
}

void AccessTable::Merge(const AccessTable& other) {
  for (const AccessRule& rule : other.rules_) Add(rule);
}

const AccessRule* AccessTable::Find(absl::string_view method_name) const {
  auto it = by_name_.find(method_name);
  return it == by_name_.end() ? nullptr : &rules_[it->second];
}

absl::Status AccessTable::CheckCovers(
    const google::protobuf::ServiceDescriptor& service) const {
  std::vector<std::string> missing;
  for (int i = 0; i < service.method_count(); ++i) {
    const std::string name = FullMethodName(*service.method(i));
    if (Find(name) == nullptr) missing.push_back(name);
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("no access rule for ", absl::StrJoin(missing, ", ")));
}

absl::Status Authorize(const Principal& principal, const AccessRule& rule) {
  if (rule.any_authenticated) return absl::OkStatus();
  bool allowed = rule.roles.contains(principal.role);
  if (allowed && principal.role == Role::kService) {
    allowed = principal.methods.contains(rule.method_name);
  }
  if (allowed) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "role '", RoleName(principal.role), "' may not call ", rule.method_name));
}

absl::StatusOr<CallMeta> AuthorizeCall(
    std::shared_ptr<const Principal> principal, const AccessRule& rule,
    absl::string_view staff_id, WaitLimit wait) {
  if (absl::Status s = Authorize(*principal, rule); !s.ok()) return s;
  if (!staff_id.empty()) {
    ViolationCollector v;
    CheckId(v, "x-staff-id", staff_id);
    if (!v.empty()) return v.ToStatus();
  }
  CallMeta meta;
  meta.principal = std::move(principal);
  meta.method = rule.method_name;
  meta.staff_id = std::string(staff_id);
  meta.wait = wait;
  return meta;
}

}  // namespace retail
