// Authorization: each module's access table says, for every RPC, what kind of
// act it is and which roles may call it (docs/architecture.md, "Access").
// The server's call path looks the method up and authorizes before the
// manager runs; a method with no rule cannot be served (start-up fails).
//
// The branch restriction is not checked here: stores put BranchScope() into
// their WHERE clauses, so a branch caller can never read another branch's
// row, whatever the request says.
#ifndef RETAIL_COMMON_ACCESS_H_
#define RETAIL_COMMON_ACCESS_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/auth.h"
#include "common/call.h"
#include "common/method.h"
#include "google/protobuf/descriptor.h"

namespace retail {

// What a method does. It documents the table and lets policy tests and the
// audit log group methods; who may do it is the rule's role set.
enum class Act {
  kRead,     // read records (personal data masked per the module's policy)
  kWrite,    // create or change records
  kExport,   // read everything about a person (audited)
  kErase,    // irreversibly anonymise a person
  kApprove,  // approve what someone else asked for (e.g. a refund)
};
absl::string_view ActName(Act act);

// A set of roles, e.g. RoleSet{Role::kAdmin, Role::kAgent}.
class RoleSet {
 public:
  constexpr RoleSet() = default;
  constexpr RoleSet(std::initializer_list<Role> roles) {
    for (Role r : roles) bits_ |= Bit(r);
  }
  static constexpr RoleSet All() {
    return {Role::kAdmin, Role::kAgent, Role::kBranch, Role::kService,
            Role::kAuditor};
  }
  constexpr bool contains(Role r) const { return (bits_ & Bit(r)) != 0; }

 private:
  static constexpr uint32_t Bit(Role r) {
    return 1u << static_cast<uint32_t>(r);
  }
  uint32_t bits_ = 0;
};

// Every role, for walking the table in tests.
inline constexpr Role kAllRoles[] = {Role::kAdmin, Role::kAgent, Role::kBranch,
                                     Role::kService, Role::kAuditor};

struct AccessRule {
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string method_name;  // FullMethodName(*method)
  Act act = Act::kRead;
  // Roles that may call it. A `service` principal additionally needs the
  // method in its token's methods= list, unless `any_authenticated`.
  RoleSet roles;
  // Open to every authenticated caller, whatever its role or method list
  // (e.g. GetServerInfo).
  bool any_authenticated = false;
};

class AccessTable {
 public:
  // The rule for the RPC whose request is `Req`. Typed, so a rule cannot
  // name a method that does not exist.
  template <typename Req>
  AccessTable& Allow(Act act, RoleSet roles) {
    const google::protobuf::MethodDescriptor& m = MethodOf<Req>();
    Add(AccessRule{&m, FullMethodName(m), act, roles});
    return *this;
  }
  // The RPC whose request is `Req` is open to any authenticated caller.
  template <typename Req>
  AccessTable& AllowAnyAuthenticated(Act act) {
    const google::protobuf::MethodDescriptor& m = MethodOf<Req>();
    Add(AccessRule{&m, FullMethodName(m), act, RoleSet::All(),
                   /*any_authenticated=*/true});
    return *this;
  }
  void Add(AccessRule rule);
  // Adds every rule of `other` (the server merges each module's table).
  void Merge(const AccessTable& other);

  const AccessRule* Find(absl::string_view method_name) const;
  const std::vector<AccessRule>& rules() const { return rules_; }

  // OK if every method of `service` has exactly one rule; otherwise names
  // the methods without one.
  absl::Status CheckCovers(
      const google::protobuf::ServiceDescriptor& service) const;

 private:
  std::vector<AccessRule> rules_;
  absl::flat_hash_map<std::string, size_t> by_name_;
};

// Whether `principal` may call the method of `rule`: OK, or
// PERMISSION_DENIED naming the role and the method.
absl::Status Authorize(const Principal& principal, const AccessRule& rule);

// Authorizes and returns the call's identity. `staff_id` is the optional
// x-staff-id metadata; a malformed one is INVALID_ARGUMENT naming
// "x-staff-id".
absl::StatusOr<CallMeta> AuthorizeCall(
    std::shared_ptr<const Principal> principal, const AccessRule& rule,
    absl::string_view staff_id, WaitLimit wait);

}  // namespace retail

#endif  // RETAIL_COMMON_ACCESS_H_
