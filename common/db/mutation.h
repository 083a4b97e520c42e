// The one path every mutation takes (docs/architecture.md, "The write path").
//
// SubmitMutation runs a service's change on the writer thread and, in the
// same transaction:
//   * honours request_id (AIP-155, and Stripe's rule for failures): the
//     result of a request that began executing is stored with its request's
//     fingerprint, whether it succeeded or failed a business rule
//     (FAILED_PRECONDITION, ALREADY_EXISTS, NOT_FOUND); a retry gets that
//     result again, and the same id with a different request is
//     INVALID_ARGUMENT. Validation, authorization, UNAVAILABLE and INTERNAL
//     failures are not stored: the same request may be retried as new;
//   * writes an audit row (principal, method, resource, request_id, outcome)
//     for success, replay and failure alike;
// and replies only after the commit is durable. Services append their own
// event rows with AppendEvent inside `apply`, because only they know the
// resource's revision.
#ifndef RETAIL_COMMON_DB_MUTATION_H_
#define RETAIL_COMMON_DB_MUTATION_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "common/auth.h"
#include "common/call.h"
#include "common/clock.h"
#include "common/db/connection.h"
#include "common/db/writer.h"
#include "common/reply.h"
#include "google/protobuf/message.h"

namespace retail::db {

// Who is calling what: the identity written to the audit log (common/call.h).
using ::retail::CallMeta;

// What `apply` gets: the writer's connection, the transaction's time and
// the call. `meta.resource` may be updated (e.g. to a newly assigned id) so
// the audit row names it.
struct MutationContext {
  Connection& conn;
  int64_t now_micros;
  CallMeta& meta;
  // Written to the success audit row's detail (cut at 200 bytes), e.g. an
  // erasure's reason: the record of what was done, never personal data.
  std::string audit_detail = {};
};

struct AuditRecord {
  std::string principal_id;
  std::string staff_id;  // the person acting at a shared token, or ""
  std::string role;
  std::string method;
  std::string resource;
  std::string request_id;
  std::string outcome;  // "OK", "REPLAYED", "REVEAL" or a status code name
  std::string detail;
  // How many identical events the row stands for (folded denials, see
  // server/failure_audit.h); 1 otherwise.
  int64_t count = 1;
};

absl::Status AppendAudit(Connection& conn, const AuditRecord& record,
                         int64_t now_micros);
AuditRecord AuditFor(const CallMeta& meta, std::string outcome,
                     std::string detail = "");

// One change of one resource, for the event stream (retail.events.v1).
struct EventRecord {
  absl::string_view resource_type;  // e.g. "customer"
  absl::string_view resource_id;
  absl::string_view resource;    // its name, e.g. "customers/cus_..."
  absl::string_view event_type;  // e.g. "CREATED"
  int64_t revision = 0;          // the resource's revision after the change
  absl::string_view branch_id;   // "" for chain-wide resources
  // The resource as stored at `revision`, unmasked (the stream masks it per
  // watcher); null records no state.
  const google::protobuf::Message* state = nullptr;
};

// Appends `event` to the change feed, naming the call's principal and staff
// member, inside the caller's write transaction. Watchers hear of it after
// the commit is durable (Connection::TakeEventsAppended).
absl::Status AppendEvent(Connection& conn, const EventRecord& event,
                         const CallMeta& meta, int64_t now_micros);

// SHA-256 of `request` serialised deterministically with request_id cleared.
std::string RequestFingerprint(const google::protobuf::Message& request);

// Type-erased core of SubmitMutation.
void SubmitMutationImpl(Writer& writer, const Clock& clock, CallMeta meta,
                        std::string fingerprint,
                        google::protobuf::Message* response,
                        absl::AnyInvocable<absl::Status(
                            MutationContext&, google::protobuf::Message*)>
                            apply,
                        absl::AnyInvocable<void(absl::Status)> done);

// `apply` fills `reply.out()` (on the writer thread, inside the transaction);
// a replay parses the stored response into it instead. `reply` is called
// after the commit is durable.
//
// `apply` may run more than once: on PostgreSQL a serialization failure
// rolls the transaction back and runs it again. Each run starts with the
// answer cleared and `meta.resource` as the call brought it; what `apply`
// captured is its own to keep intact: copy from the request, never move
// out of it. Tests on PostgreSQL run every op twice to hold this
// (PgWriter::RehearseRetriesForTesting).
template <typename Response>
void SubmitMutation(
    Writer& writer, const Clock& clock, CallMeta meta,
    const google::protobuf::Message& request,
    absl::AnyInvocable<absl::Status(MutationContext&, Response*)> apply,
    Reply<Response> reply) {
  Response* out = reply.out();
  SubmitMutationImpl(
      writer, clock, std::move(meta), RequestFingerprint(request), out,
      [apply = std::move(apply)](MutationContext& ctx,
                                 google::protobuf::Message* msg) mutable {
        return apply(ctx, static_cast<Response*>(msg));
      },
      [reply = std::move(reply)](absl::Status status) mutable {
        reply(std::move(status));
      });
}

// Rewrites every stored copy of `resource`'s past answers and states with
// `rewrite`, e.g. to scrub personal data on erasure so that neither a replay
// nor the event stream can bring it back: the stored responses (AIP-155
// replay copies) of calls on it and the states stored with its events. Runs
// inside the caller's write transaction.
absl::Status RewriteStoredResponses(
    Connection& conn, absl::string_view resource,
    const std::function<void(google::protobuf::Message*)>& rewrite);

// Forgets stored responses created before `cutoff_micros`, at most `limit`
// of them; returns how many. A request_id is a retry key, not a record: after
// the retention window a repeat is treated as a new request.
absl::StatusOr<int> PruneStoredResponses(Connection& conn,
                                         int64_t cutoff_micros, int limit);

// Writes one audit row durably (e.g. a PII reveal on a read) and calls
// `done` after the commit.
void SubmitAudit(Writer& writer, const Clock& clock, AuditRecord record,
                 absl::AnyInvocable<void(absl::Status)> done);

// Replies `status` to a read whose answer is already in `reply.out()`. When
// `audited_reveal` (NeedsRevealAudit), the answer leaves only after a
// durable REVEAL audit row whose detail is `shown(*reply.out())`: the
// resources a page showed ("" when meta.resource names the one shown).
template <typename Response, typename ShownFn>
void ReplyAfterRevealAudit(Writer& writer, const Clock& clock,
                           const CallMeta& meta, bool audited_reveal,
                           absl::Status status, Reply<Response> reply,
                           ShownFn shown) {
  if (!status.ok() || !audited_reveal) return reply(std::move(status));
  std::string detail = shown(*reply.out());
  SubmitAudit(writer, clock, AuditFor(meta, "REVEAL", std::move(detail)),
              [reply = std::move(reply)](absl::Status audited) mutable {
                reply(std::move(audited));
              });
}

}  // namespace retail::db

#endif  // RETAIL_COMMON_DB_MUTATION_H_
