#include "common/db/mutation.h"

#include <algorithm>
#include <optional>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"
#include "common/validation.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/rpc/status.pb.h"

namespace retail::db {

absl::Status AppendAudit(Connection& conn, const AuditRecord& r,
                         int64_t now_micros) {
  return Guard("append audit", [&] {
    Stmt s = conn.Prepare(
        "INSERT INTO audit_log (create_time_us, principal_id, role, method,"
        " resource, request_id, outcome, detail, staff_id, count)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s->Bind(1, static_cast<int64_t>(now_micros));
    s->Bind(2, r.principal_id);
    s->Bind(3, r.role);
    s->Bind(4, r.method);
    s->Bind(5, r.resource);
    s->Bind(6, r.request_id);
    s->Bind(7, r.outcome);
    s->Bind(8, r.detail);
    s->Bind(9, r.staff_id);
    s->Bind(10, static_cast<int64_t>(r.count));
    s->Exec();
    return absl::OkStatus();
  });
}

AuditRecord AuditFor(const CallMeta& meta, std::string outcome,
                     std::string detail) {
  AuditRecord r;
  r.principal_id = meta.principal->id;
  r.staff_id = meta.staff_id;
  r.role = std::string(RoleName(meta.principal->role));
  r.method = meta.method;
  r.resource = meta.resource;
  r.request_id = meta.request_id;
  r.outcome = std::move(outcome);
  r.detail = std::move(detail);
  return r;
}

absl::Status AppendEvent(Connection& conn, const EventRecord& event,
                         const CallMeta& meta, int64_t now_micros) {
  return Guard("append event", [&] {
    Stmt s = conn.Prepare(
        "INSERT INTO events (resource_type, resource_id, event_type, revision,"
        " principal_id, create_time_us, staff_id, resource, branch_id, state)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s->Bind(1, std::string(event.resource_type));
    s->Bind(2, std::string(event.resource_id));
    s->Bind(3, std::string(event.event_type));
    s->Bind(4, static_cast<int64_t>(event.revision));
    s->Bind(5, meta.principal->id);
    s->Bind(6, static_cast<int64_t>(now_micros));
    s->Bind(7, meta.staff_id);
    s->Bind(8, std::string(event.resource));
    s->Bind(9, std::string(event.branch_id));
    std::string state;
    if (event.state != nullptr) {
      google::protobuf::Any any;
      any.PackFrom(*event.state);
      state = any.SerializeAsString();
      s->Bind(10, state.data(), static_cast<int>(state.size()));
    } else {
      s->Bind(10);  // NULL
    }
    s->Exec();
    conn.NoteEventsAppended();
    return absl::OkStatus();
  });
}

namespace {

// The same message always gives the same bytes (map order included): both
// the request fingerprint and the stored response rely on it.
std::string SerializeDeterministic(const google::protobuf::Message& message) {
  std::string bytes;
  {
    // The streams must be gone (trimmed) before `bytes` is read.
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&out);
  }
  return bytes;
}

}  // namespace

std::string RequestFingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const auto* field = copy->GetDescriptor()->FindFieldByName("request_id");
  if (field != nullptr) copy->GetReflection()->ClearField(copy.get(), field);
  return Sha256(
      absl::StrCat(copy->GetTypeName(), "\n", SerializeDeterministic(*copy)));
}

namespace {

// What a request_id already holds: the first response, or the business
// failure the first attempt ended with.
struct Stored {
  std::string response;
  std::optional<absl::Status> failure;
};

// Business rules refused the request after it began executing: the answer
// is final for this request, so a retry must get it again (Stripe's rule).
// Validation, authorization, UNAVAILABLE and INTERNAL are not stored: the
// same request may succeed when retried.
bool IsStoredFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kNotFound:
      return true;
    default:
      return false;
  }
}

// absl::Status (with its google.rpc detail payloads) <-> google.rpc.Status.
std::string EncodeStatus(const absl::Status& status) {
  google::rpc::Status proto;
  proto.set_code(static_cast<int>(status.code()));
  proto.set_message(std::string(status.message()));
  status.ForEachPayload(
      [&](absl::string_view type_url, const absl::Cord& payload) {
        google::protobuf::Any* any = proto.add_details();
        any->set_type_url(std::string(type_url));
        any->set_value(std::string(payload));
      });
  return proto.SerializeAsString();
}

absl::Status DecodeStatus(const std::string& bytes) {
  google::rpc::Status proto;
  if (!proto.ParseFromString(bytes) || proto.code() == 0) {
    return absl::InternalError("stored failure is unreadable");
  }
  absl::Status status(static_cast<absl::StatusCode>(proto.code()),
                      proto.message());
  for (const google::protobuf::Any& any : proto.details()) {
    status.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return status;
}

// Looks up a stored result. NOT_FOUND if this request_id is new.
absl::StatusOr<Stored> FindStored(Connection& conn, const CallMeta& meta,
                                  const std::string& fingerprint) {
  Stmt q = conn.Prepare(
      "SELECT request_hash, response, status FROM idempotency_keys"
      " WHERE principal_id = ? AND method = ? AND request_id = ?");
  q->Bind(1, meta.principal->id);
  q->Bind(2, meta.method);
  q->Bind(3, meta.request_id);
  if (!q->Step()) return absl::NotFoundError("new request");
  if (q->String(0) != fingerprint) {
    return InvalidArgument(
        "request_id",
        "was already used for a different request; send a new request_id "
        "for a new request and reuse one only to retry the same request");
  }
  Stored stored;
  stored.response = q->String(1);
  if (!q->IsNull(2)) {
    stored.failure = DecodeStatus(q->String(2));
  }
  return stored;
}

// Stores the result of a request: `response` for a success, or `failure`.
absl::Status StoreResult(Connection& conn, const CallMeta& meta,
                         const std::string& fingerprint,
                         const std::string& response,
                         const absl::Status* failure, int64_t now_micros) {
  Stmt s = conn.Prepare(
      "INSERT INTO idempotency_keys (principal_id, method, request_id,"
      " request_hash, response, resource, create_time_us, status)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  s->Bind(1, meta.principal->id);
  s->Bind(2, meta.method);
  s->Bind(3, meta.request_id);
  s->Bind(4, fingerprint.data(), static_cast<int>(fingerprint.size()));
  s->Bind(5, response.data(), static_cast<int>(response.size()));
  s->Bind(6, meta.resource);
  s->Bind(7, static_cast<int64_t>(now_micros));
  if (failure != nullptr) {
    const std::string encoded = EncodeStatus(*failure);
    s->Bind(8, encoded.data(), static_cast<int>(encoded.size()));
    s->Exec();
  } else {
    s->Bind(8);  // NULL: a success
    s->Exec();
  }
  return absl::OkStatus();
}

// Audit details are capped, on a character boundary (a cut in the middle of
// a UTF-8 sequence would make the row unreadable).
std::string AuditDetail(absl::string_view text) {
  return std::string(TruncateUtf8(text, 200));
}

}  // namespace

void SubmitMutationImpl(Writer& writer, const Clock& clock, CallMeta meta,
                        std::string fingerprint,
                        google::protobuf::Message* response,
                        absl::AnyInvocable<absl::Status(
                            MutationContext&, google::protobuf::Message*)>
                            apply,
                        absl::AnyInvocable<void(absl::Status)> done) {
  auto shared_meta = std::make_shared<CallMeta>(std::move(meta));
  auto now = std::make_shared<int64_t>(0);
  // Set when apply answered from a stored failure: on_failure then audits a
  // replay instead of storing the failure again.
  auto replayed_failure = std::make_shared<bool>(false);
  WriteOp op;
  op.wait = shared_meta->wait;
  // What apply may change, as the call brought it: each run starts from it.
  const std::string called_resource = shared_meta->resource;
  op.apply = [&clock, shared_meta, now, replayed_failure, fingerprint, response,
              called_resource,
              apply = std::move(apply)](Connection& conn) mutable {
    *now = clock.NowMicros();
    *replayed_failure = false;
    // An op may run more than once: PostgreSQL runs it again after a
    // serialization failure (and PgWriter::RehearseRetriesForTesting in
    // every test). A run starts from an empty answer, so what an earlier,
    // rolled-back run added to it (an order's refunds read twice) is gone.
    response->Clear();
    shared_meta->resource = called_resource;
    return Guard("mutation", [&]() -> absl::Status {
      absl::StatusOr<Stored> stored =
          FindStored(conn, *shared_meta, fingerprint);
      if (stored.ok()) {
        if (stored->failure.has_value()) {
          *replayed_failure = true;
          return *stored->failure;
        }
        if (!response->ParseFromString(stored->response)) {
          return absl::InternalError("stored response is unreadable");
        }
        return AppendAudit(conn, AuditFor(*shared_meta, "REPLAYED"), *now);
      }
      if (!absl::IsNotFound(stored.status())) return stored.status();

      MutationContext ctx{conn, *now, *shared_meta};
      RETURN_IF_ERROR(apply(ctx, response));
      const std::string bytes = SerializeDeterministic(*response);
      RETURN_IF_ERROR(
          StoreResult(conn, *shared_meta, fingerprint, bytes, nullptr, *now));
      return AppendAudit(
          conn, AuditFor(*shared_meta, "OK", AuditDetail(ctx.audit_detail)),
          *now);
    });
  };
  op.on_failure = [shared_meta, now, replayed_failure,
                   fingerprint = std::move(fingerprint)](
                      Connection& conn, const absl::Status& status) {
    // Tells the call path this failure is audited (unless the batch's
    // COMMIT fails after all: then the caller gets that error instead, with
    // another code, and the call path audits it).
    auto mark_audited = [&](const absl::Status& written) {
      if (written.ok() && shared_meta->failure_audit != nullptr) {
        shared_meta->failure_audit->audited_code.store(
            static_cast<int>(status.code()));
      }
    };
    if (*replayed_failure) {
      mark_audited(AppendAudit(
          conn,
          AuditFor(*shared_meta, "REPLAYED",
                   absl::StrCat(absl::StatusCodeToString(status.code()), ": ",
                                AuditDetail(status.message()))),
          *now));
      return;
    }
    // The change is rolled back; its business failure is the request's
    // result from now on. Runs inside the batch transaction, so the stored
    // failure commits (or not) with everything else.
    if (IsStoredFailure(status)) {
      Guard("store failure", [&] {
        return StoreResult(conn, *shared_meta, fingerprint, "", &status, *now);
      }).IgnoreError();
    }
    mark_audited(AppendAudit(
        conn,
        AuditFor(*shared_meta, absl::StatusCodeToString(status.code()),
                 AuditDetail(status.message())),
        *now));
  };
  op.done = std::move(done);
  writer.Submit(std::move(op));
}

absl::Status RewriteStoredResponses(
    Connection& conn, absl::string_view resource,
    const std::function<void(google::protobuf::Message*)>& rewrite) {
  return Guard("rewrite stored responses", [&] {
    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    auto* factory = google::protobuf::MessageFactory::generated_factory();
    std::vector<std::tuple<std::string, std::string, std::string, std::string>>
        rewritten;
    {
      Stmt q = conn.Prepare(
          "SELECT principal_id, method, request_id, response"
          " FROM idempotency_keys WHERE resource = ?");
      q->Bind(1, std::string(resource));
      while (q->Step()) {
        // "pkg.Service/Method" -> "pkg.Service.Method" in the descriptor pool.
        std::string method = q->String(1);
        std::replace(method.begin(), method.end(), '/', '.');
        const auto* md = pool->FindMethodByName(method);
        if (md == nullptr) continue;
        std::unique_ptr<google::protobuf::Message> msg(
            factory->GetPrototype(md->output_type())->New());
        if (!msg->ParseFromString(q->String(3))) continue;
        rewrite(msg.get());
        rewritten.emplace_back(q->String(0), q->String(1), q->String(2),
                               msg->SerializeAsString());
      }
    }
    for (const auto& [principal, method, request_id, bytes] : rewritten) {
      Stmt u = conn.Prepare(
          "UPDATE idempotency_keys SET response = ?"
          " WHERE principal_id = ? AND method = ? AND request_id = ?");
      u->Bind(1, bytes.data(), static_cast<int>(bytes.size()));
      u->Bind(2, principal);
      u->Bind(3, method);
      u->Bind(4, request_id);
      u->Exec();
    }
    // The states stored with the resource's events: each an Any of the
    // resource's own message. Each row is keyed by its identity: event_id
    // on SQLite; on PostgreSQL pending_id, since event_id stays NULL until
    // the sequencer numbers the event after its commit.
    const bool pg = conn.engine() == Engine::kPostgres;
    std::vector<std::pair<int64_t, std::string>> states;
    {
      Stmt q = conn.Prepare(pg ? "SELECT pending_id, state FROM events"
                                 " WHERE resource = ? AND state IS NOT NULL"
                               : "SELECT event_id, state FROM events"
                                 " WHERE resource = ? AND state IS NOT NULL");
      q->Bind(1, std::string(resource));
      while (q->Step()) {
        google::protobuf::Any any;
        const absl::string_view blob = q->Blob(1);
        if (!any.ParseFromArray(blob.data(), static_cast<int>(blob.size())))
          continue;
        const auto* type = pool->FindMessageTypeByName(
            std::string(any.type_url().substr(any.type_url().rfind('/') + 1)));
        if (type == nullptr) continue;
        std::unique_ptr<google::protobuf::Message> msg(
            factory->GetPrototype(type)->New());
        if (!any.UnpackTo(msg.get())) continue;
        rewrite(msg.get());
        any.PackFrom(*msg);
        states.emplace_back(q->Int64(0), any.SerializeAsString());
      }
    }
    for (const auto& [event_id, bytes] : states) {
      Stmt u =
          conn.Prepare(pg ? "UPDATE events SET state = ? WHERE pending_id = ?"
                          : "UPDATE events SET state = ? WHERE event_id = ?");
      u->Bind(1, bytes.data(), static_cast<int>(bytes.size()));
      u->Bind(2, static_cast<int64_t>(event_id));
      u->Exec();
    }
    if (!states.empty()) conn.NoteStatesRewritten();
    return absl::OkStatus();
  });
}

absl::StatusOr<int> PruneStoredResponses(Connection& conn,
                                         int64_t cutoff_micros, int limit) {
  return Guard("prune stored responses", [&]() -> absl::StatusOr<int> {
    Stmt s = conn.Prepare(
        "DELETE FROM idempotency_keys WHERE (principal_id, method, request_id)"
        " IN (SELECT principal_id, method, request_id FROM idempotency_keys"
        " WHERE create_time_us < ? LIMIT ?)");
    s->Bind(1, static_cast<int64_t>(cutoff_micros));
    s->Bind(2, limit);
    return s->Exec();
  });
}

void SubmitAudit(Writer& writer, const Clock& clock, AuditRecord record,
                 absl::AnyInvocable<void(absl::Status)> done) {
  WriteOp op;
  op.apply = [&clock, record = std::move(record)](Connection& conn) {
    return AppendAudit(conn, record, clock.NowMicros());
  };
  op.done = std::move(done);
  writer.Submit(std::move(op));
}

}  // namespace retail::db
