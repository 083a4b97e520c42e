// How modules find each other without naming each other's tables: a module
// offers a C++ interface (e.g. customers offers CustomerDirectory, which
// orders calls inside its own transaction), and takes part in a person's
// data (export and erasure). No gRPC here, so managers may include it.
#ifndef RETAIL_SERVER_MODULE_REGISTRY_H_
#define RETAIL_SERVER_MODULE_REGISTRY_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/auth.h"
#include "common/db/connection.h"
#include "common/db/mutation.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace retail {

// A module's part in one person's data (PIPL/GDPR). The customers module owns
// ExportCustomerData and EraseCustomer and calls every registered part.
class PersonDataPart {
 public:
  virtual ~PersonDataPart() = default;
  // Appends this module's records about the customer, as typed messages of
  // its own proto packed in Any, read on `conn` (one read snapshot).
  virtual absl::Status ExportPerson(
      db::Connection& conn, const std::string& customer_id,
      google::protobuf::RepeatedPtrField<google::protobuf::Any>* out) = 0;
  // Empties every personal field of the customer's records, inside the
  // erasure's write transaction (ctx.conn), including stored replay copies.
  virtual absl::Status ErasePerson(db::MutationContext& ctx,
                                   const std::string& customer_id) = 0;
};

// How a module shows a stored state of its resource (carried by an event,
// see server/events/) to a caller who did not ask for reveal_pii: it masks
// `state` in place as the module's own Get would for `caller`.
using StateView = std::function<void(const Principal& caller,
                                     google::protobuf::Message* state)>;

class ModuleRegistry {
 public:
  // Offers `impl` as the implementation of interface I for the server's
  // lifetime. One per interface.
  template <typename I>
  void Offer(I* impl) {
    offered_[TypeKey<I>()] = impl;
  }
  // The implementation of I, or nullptr when the module offering it is not
  // loaded: callers then simply skip it.
  template <typename I>
  I* Find() const {
    auto it = offered_.find(TypeKey<I>());
    return it == offered_.end() ? nullptr : static_cast<I*>(it->second);
  }

  void AddPersonDataPart(PersonDataPart* part) { parts_.push_back(part); }
  const std::vector<PersonDataPart*>& person_data_parts() const {
    return parts_;
  }

  // Registers the view of message type M (e.g. retail.customers.v1.Customer)
  // for the states its module stores with events. A type without a view is
  // withheld from every caller but admin: the stream fails closed.
  template <typename M>
  void AddStateView(std::function<void(const Principal&, M*)> view) {
    state_views_[M::descriptor()->full_name()] =
        [view = std::move(view)](const Principal& caller,
                                 google::protobuf::Message* state) {
          view(caller, static_cast<M*>(state));
        };
  }
  // A type with no personal data beyond what every reader may see.
  template <typename M>
  void AddUnmaskedState() {
    state_views_[M::descriptor()->full_name()] =
        [](const Principal&, google::protobuf::Message*) {};
  }
  // The view of the message type named `full_name`, or null.
  const StateView* FindStateView(const std::string& full_name) const {
    auto it = state_views_.find(full_name);
    return it == state_views_.end() ? nullptr : &it->second;
  }

 private:
  template <typename I>
  static const void* TypeKey() {
    static const char key = 0;
    return &key;
  }

  absl::flat_hash_map<const void*, void*> offered_;
  std::vector<PersonDataPart*> parts_;
  absl::flat_hash_map<std::string, StateView> state_views_;
};

}  // namespace retail

#endif  // RETAIL_SERVER_MODULE_REGISTRY_H_
