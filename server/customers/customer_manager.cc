#include "server/customers/customer_manager.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/filter.h"
#include "common/ids.h"
#include "common/status.h"
#include "common/validation.h"
#include "google/protobuf/util/time_util.h"
#include "server/customers/customer_store.h"

namespace retail::customers {
namespace {

using ::google::protobuf::util::TimeUtil;

// Audit rows of the tier sweep, which is maintenance, not an RPC.
constexpr char kSweepMethod[] =
    "retail.customers.v1.CustomerService/SweepLapsedTiers";

constexpr int kMaxPreferenceEntries = 20;
constexpr int64_t kMaxPointsDelta = 100'000'000;
constexpr int64_t kMaxPointsBalance = 1'000'000'000'000;
constexpr char kErasedName[] = "(erased)";
constexpr size_t kMaxEtagBytes = 64;

std::string ResourceName(absl::string_view customer_id) {
  return absl::StrCat("customers/", customer_id);
}

// Paths a caller may set; everything else on Customer is output only.
const absl::flat_hash_set<std::string>& MutablePaths() {
  static const auto* const kPaths = new absl::flat_hash_set<std::string>{
      "display_name", "phone",       "email", "birthday",
      "gender",       "preferences", "notes", "marketing_consent",
      "branch_id"};
  return *kPaths;
}

void ValidatePreferenceList(
    ViolationCollector& v, absl::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& list) {
  if (list.size() > kMaxPreferenceEntries) {
    v.Add(field, absl::StrCat("must have at most ", kMaxPreferenceEntries,
                              " entries"));
  }
  for (int i = 0; i < list.size(); ++i) {
    CheckSingleLineText(v, absl::StrCat(field, "[", i, "]"), list[i], 1, 50);
  }
}

// Validates the fields of `in` named in `paths` (request paths prefixed with
// "customer.") and copies them, normalised, into `out`.
void ValidateAndCopy(ViolationCollector& v, const v1::Customer& in,
                     const absl::flat_hash_set<std::string>& paths,
                     int64_t now_micros, v1::Customer* out) {
  if (paths.contains("display_name")) {
    // Check what is stored: a name of only (Unicode) spaces is a missing
    // name, and one nobody can see or that reorders the text around it is
    // not a name.
    const absl::string_view name = TrimUnicodeSpace(in.display_name());
    CheckSingleLineText(v, "customer.display_name", name, 1, 100);
    out->set_display_name(std::string(name));
  }
  if (paths.contains("phone")) {
    if (in.phone().empty()) {
      out->clear_phone();
    } else if (auto phone = NormalizePhone(in.phone())) {
      out->set_phone(*phone);
    } else {
      v.Add("customer.phone", kPhoneRule);
    }
  }
  if (paths.contains("email")) {
    if (in.email().empty()) {
      out->clear_email();
    } else if (auto email = NormalizeEmail(in.email())) {
      out->set_email(*email);
    } else {
      v.Add("customer.email", kEmailRule);
    }
  }
  if (paths.contains("birthday")) {
    if (in.has_birthday()) {
      CheckPastDate(v, "customer.birthday", in.birthday(), now_micros);
      *out->mutable_birthday() = in.birthday();
    } else {
      out->clear_birthday();
    }
  }
  if (paths.contains("gender")) {
    if (!v1::Gender_IsValid(in.gender())) {
      v.Add("customer.gender",
            "must be one of GENDER_UNSPECIFIED, GENDER_FEMALE, "
            "GENDER_MALE, GENDER_OTHER");
    }
    out->set_gender(in.gender());
  }
  if (paths.contains("preferences")) {
    const v1::Preferences& p = in.preferences();
    ValidatePreferenceList(v, "customer.preferences.sizes", p.sizes());
    ValidatePreferenceList(v, "customer.preferences.styles", p.styles());
    ValidatePreferenceList(v, "customer.preferences.colors", p.colors());
    ValidatePreferenceList(v, "customer.preferences.brands", p.brands());
    ValidatePreferenceList(v, "customer.preferences.tags", p.tags());
    *out->mutable_preferences() = p;
  }
  if (paths.contains("notes")) {
    CheckText(v, "customer.notes", in.notes(), 0, 2000);
    out->set_notes(in.notes());
  }
  if (paths.contains("marketing_consent")) {
    out->set_marketing_consent(in.marketing_consent());
  }
  if (paths.contains("branch_id")) {
    CheckId(v, "customer.branch_id", in.branch_id());
    out->set_branch_id(in.branch_id());
  }
}

// Empties everything that identifies or describes the person; keeps the id,
// home branch, aggregates, points and times.
void ErasePersonalFields(v1::Customer* c) {
  c->set_display_name(kErasedName);
  c->clear_phone();
  c->clear_email();
  c->clear_birthday();
  c->clear_gender();
  c->clear_preferences();
  c->clear_notes();
  c->set_marketing_consent(false);
}

// Erases customer `id`'s personal data wherever it appears in `m` (a stored
// response): its Customer records and the free text of its ledger entries.
void ScrubPerson(google::protobuf::Message* m, const std::string& id) {
  const google::protobuf::Descriptor* d = m->GetDescriptor();
  if (d == v1::Customer::descriptor()) {
    auto* c = static_cast<v1::Customer*>(m);
    if (c->customer_id() == id) ErasePersonalFields(c);
    return;
  }
  if (d == v1::PointsTransaction::descriptor()) {
    auto* t = static_cast<v1::PointsTransaction*>(m);
    if (t->customer_id() == id) t->clear_reason();
    return;
  }
  const google::protobuf::Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE)
      continue;
    if (f->is_repeated()) {
      for (int j = 0; j < r->FieldSize(*m, f); ++j)
        ScrubPerson(r->MutableRepeatedMessage(m, f, j), id);
    } else if (r->HasField(*m, f)) {
      ScrubPerson(r->MutableMessage(m, f), id);
    }
  }
}

// What a caller sees of a person (the table is in the README, "Personal
// data: who sees what"):
//   field         full  agent  service  auditor
//   display_name  yes   yes    masked   masked
//   phone, email  yes   masked masked   masked
//   birthday      yes   no     no       no
//   notes         yes   yes    no       no
//   preferences   yes   yes    yes      no
//   ledger reason yes   yes    no       no
// "full" is admin, a branch for its own customers, and an agent that set
// reveal_pii (audited). Gender, tier, aggregates and points are not
// personal data in this sense and are shown to every role that may read.
enum class PiiView { kFull, kAgent, kService, kAuditor };

// The view of `p`; PERMISSION_DENIED if it asks for reveal_pii and may not.
absl::StatusOr<PiiView> ViewFor(const Principal& p, bool reveal) {
  ASSIGN_OR_RETURN(const bool visible, PiiVisible(p, reveal));
  if (visible) return PiiView::kFull;
  switch (p.role) {
    case Role::kService:
      return PiiView::kService;
    case Role::kAuditor:
      return PiiView::kAuditor;
    default:
      return PiiView::kAgent;
  }
}
// Without reveal_pii a view is never an error.
PiiView DefaultViewFor(const Principal& p) {
  return ViewFor(p, false).value_or(PiiView::kAuditor);
}

void ApplyPiiPolicy(PiiView view, v1::Customer* c) {
  if (view == PiiView::kFull) return;
  if (!c->phone().empty()) c->set_phone(MaskPhone(c->phone()));
  if (!c->email().empty()) c->set_email(MaskEmail(c->email()));
  c->clear_birthday();
  if (view == PiiView::kAgent) return;
  c->set_display_name(MaskName(c->display_name()));
  c->clear_notes();
  if (view == PiiView::kService) return;
  c->clear_preferences();
}

void ApplyPiiPolicy(PiiView view, v1::PointsTransaction* t) {
  if (view == PiiView::kService || view == PiiView::kAuditor) t->clear_reason();
}

absl::Status ErasedError(absl::string_view customer_id) {
  return ErrorWithReason(absl::StatusCode::kFailedPrecondition,
                         "CUSTOMER_ERASED",
                         absl::StrCat("customer '", customer_id,
                                      "' was erased and can no longer change"),
                         {{"customer_id", std::string(customer_id)}});
}

absl::Status PhoneTakenError(const std::string& existing_id) {
  return ErrorWithReason(
      absl::StatusCode::kAlreadyExists, "PHONE_ALREADY_REGISTERED",
      absl::StrCat("customer.phone: already registered to customer ",
                   existing_id),
      {{"customer_id", existing_id}, {"field", "customer.phone"}});
}

// A conflict with a customer the caller may not see. Phones are unique
// across the chain, so a store may learn that a number is registered
// somewhere, but never which customer or which branch: that would let it
// probe numbers and collect other branches' ids. The same rule holds for
// every chain-wide unique key (docs/architecture.md, "Access").
absl::Status PhoneTakenElsewhereError() {
  return ErrorWithReason(
      absl::StatusCode::kAlreadyExists, "PHONE_ALREADY_REGISTERED",
      "customer.phone: already registered to a customer of another branch; "
      "ask the service desk to find the existing profile",
      {{"field", "customer.phone"}});
}

// Fails if `phone` belongs to a customer other than `self_id`, naming that
// customer only if the caller could read it anyway.
absl::Status CheckPhoneFree(db::Connection& conn, const std::string& phone,
                            const std::string& self_id, const Principal& p) {
  if (phone.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<std::string> owner,
                   FindCustomerIdByPhone(conn, phone));
  if (!owner || *owner == self_id) return absl::OkStatus();
  const std::string& scope = BranchScope(p);
  if (!scope.empty() && !GetCustomer(conn, *owner, scope).ok()) {
    return PhoneTakenElsewhereError();
  }
  return PhoneTakenError(*owner);
}

// Re-reads a customer on the writer connection and refuses erased ones.
absl::StatusOr<StoredCustomer> LoadForChange(db::MutationContext& ctx,
                                             const std::string& customer_id) {
  ASSIGN_OR_RETURN(
      StoredCustomer sc,
      GetCustomer(ctx.conn, customer_id, BranchScope(*ctx.meta.principal)));
  if (sc.customer.has_erase_time()) return ErasedError(customer_id);
  return sc;
}

// The event of a customer's change, with the profile as stored (the event
// stream masks it per watcher). A customer belongs to its home branch.
absl::Status AppendCustomerEvent(db::MutationContext& ctx,
                                 const v1::Customer& c,
                                 absl::string_view event_type,
                                 int64_t revision) {
  const std::string name = ResourceName(c.customer_id());
  return db::AppendEvent(ctx.conn,
                         {.resource_type = "customer",
                          .resource_id = c.customer_id(),
                          .resource = name,
                          .event_type = event_type,
                          .revision = revision,
                          .branch_id = c.branch_id(),
                          .state = &c},
                         ctx.meta, ctx.now_micros);
}

// Bumps revision and update time, writes the row and its event.
absl::Status SaveChange(db::MutationContext& ctx, StoredCustomer& sc,
                        absl::string_view event_type) {
  sc.revision += 1;
  *sc.customer.mutable_update_time() =
      TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
  sc.customer.set_etag(absl::StrCat("r", sc.revision));
  RETURN_IF_ERROR(UpdateCustomer(ctx.conn, sc));
  return AppendCustomerEvent(ctx, sc.customer, event_type, sc.revision);
}

// Finishes a List/Search page read into `out`: the query asked for one row
// more than `page_size`, whose presence says a next page exists; it is
// dropped and the token points after the last row kept.
template <typename Response>
absl::Status FinishCustomerPage(absl::StatusOr<std::vector<int64_t>> rows,
                                int page_size, PiiView pii_view,
                                const PageTokenCodec& tokens,
                                const std::string& scope, Response* out) {
  if (!rows.ok()) return rows.status();
  auto* customers = out->mutable_customers();
  const bool more = static_cast<int>(rows->size()) > page_size;
  if (more) customers->DeleteSubrange(page_size, customers->size() - page_size);
  for (v1::Customer& c : *customers) ApplyPiiPolicy(pii_view, &c);
  if (more)
    out->set_next_page_token(tokens.Encode(scope, (*rows)[page_size - 1]));
  return absl::OkStatus();
}

}  // namespace

void ShowCustomerState(const Principal& caller, v1::Customer* c) {
  ApplyPiiPolicy(DefaultViewFor(caller), c);
}

CustomerManager::CustomerManager(db::Database& db, const Clock& clock,
                                 CustomerOptions options,
                                 const ModuleRegistry* registry)
    : db_(db),
      clock_(clock),
      registry_(registry),
      options_(std::move(options)),
      tokens_(db.secret()) {}

template <typename Response>
void CustomerManager::FinishRead(const db::CallMeta& meta, bool audited_reveal,
                                 absl::Status status, Reply<Response> reply) {
  // The row names every customer whose data is shown: for a page, each of
  // them (the resource names the single customer of a Get or an Export).
  db::ReplyAfterRevealAudit(
      db_.writer(), clock_, meta, audited_reveal, std::move(status),
      std::move(reply), [](const Response& r) {
        std::string shown;
        if constexpr (requires { r.customers(); }) {
          for (const v1::Customer& c : r.customers()) {
            absl::StrAppend(&shown, shown.empty() ? "shown: " : ",",
                            ResourceName(c.customer_id()));
          }
        }
        return shown;
      });
}

void CustomerManager::CreateCustomer(CallMeta call,
                                     const v1::CreateCustomerRequest& req,
                                     Reply<v1::CreateCustomerResponse> reply) {
  const PrincipalPtr& p = call.principal;
  const int64_t now = clock_.NowMicros();
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  v1::Customer fields;
  absl::flat_hash_set<std::string> paths = MutablePaths();
  if (p->role == Role::kBranch) {
    // A store creates customers for itself; naming another branch is a
    // permission problem, not a typo to fix silently.
    if (!req.customer().branch_id().empty() &&
        req.customer().branch_id() != p->branch_id) {
      return reply(absl::PermissionDeniedError(absl::StrCat(
          "branch '", p->branch_id, "' may not create customers for branch '",
          req.customer().branch_id(), "'")));
    }
    paths.erase("branch_id");
    fields.set_branch_id(p->branch_id);
  }
  ValidateAndCopy(v, req.customer(), paths, now, &fields);
  if (!v.empty()) return reply(v.ToStatus());
  const PiiView visible = DefaultViewFor(*p);

  db::SubmitMutation<v1::CreateCustomerResponse>(
      db_.writer(), clock_, call.With(req.request_id(), "customers"), req,
      [this, fields = std::move(fields), visible](
          db::MutationContext& ctx,
          v1::CreateCustomerResponse* out) -> absl::Status {
        RETURN_IF_ERROR(
            CheckPhoneFree(ctx.conn, fields.phone(), "", *ctx.meta.principal));
        StoredCustomer sc;
        sc.revision = 1;
        sc.customer = fields;
        v1::Customer& c = sc.customer;
        c.set_customer_id(NewId("cus", ctx.now_micros));
        c.mutable_total_spend()->set_currency_code(options_.currency_code);
        *c.mutable_create_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        *c.mutable_update_time() = c.create_time();
        c.set_etag("r1");
        RecomputeTier(options_.tiers, ctx.now_micros, &c);
        ctx.meta.resource = ResourceName(c.customer_id());
        RETURN_IF_ERROR(InsertCustomer(ctx.conn, sc));
        RETURN_IF_ERROR(AppendCustomerEvent(ctx, c, "CREATED", 1));
        *out->mutable_customer() = c;
        ApplyPiiPolicy(visible, out->mutable_customer());
        return absl::OkStatus();
      },
      std::move(reply));
}

void CustomerManager::GetCustomer(CallMeta call,
                                  const v1::GetCustomerRequest& req,
                                  Reply<v1::GetCustomerResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckId(v, "customer_id", req.customer_id());
  if (!v.empty()) return reply(v.ToStatus());
  const absl::StatusOr<PiiView> visible = ViewFor(*p, req.reveal_pii());
  if (!visible.ok()) return reply(visible.status());

  absl::Status status =
      db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
        v1::Customer* c = reply.out()->mutable_customer();
        RETURN_IF_ERROR(customers::GetCustomer(conn, req.customer_id(),
                                               BranchScope(*p), c));
        ApplyPiiPolicy(*visible, c);
        return absl::OkStatus();
      });
  FinishRead(call.With("", ResourceName(req.customer_id())),
             NeedsRevealAudit(*p, req.reveal_pii()), std::move(status),
             std::move(reply));
}

void CustomerManager::UpdateCustomer(CallMeta call,
                                     const v1::UpdateCustomerRequest& req,
                                     Reply<v1::UpdateCustomerResponse> reply) {
  const PrincipalPtr& p = call.principal;
  const int64_t now = clock_.NowMicros();
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  CheckId(v, "customer.customer_id", req.customer().customer_id());
  // Etags are ours ("r<revision>"); a longer one is not ours, and echoing
  // unbounded input in the error would let a caller grow our answers past
  // a client's metadata limit.
  if (req.customer().etag().size() > kMaxEtagBytes) {
    v.Add("customer.etag",
          absl::StrCat("must be at most ", kMaxEtagBytes,
                       " bytes: send the etag of the customer as read"));
  }
  absl::flat_hash_set<std::string> paths;
  if (req.update_mask().paths().empty()) {
    v.Add("update_mask",
          "is required: name the fields to change, e.g. \"email\"");
  }
  for (const std::string& path : req.update_mask().paths()) {
    if (!MutablePaths().contains(path)) {
      v.Add("update_mask",
            absl::StrCat("path '", TruncateUtf8(path, 64),
                         "' cannot be updated; allowed: display_name, "
                         "phone, email, birthday, gender, preferences, notes, "
                         "marketing_consent, branch_id"));
    } else {
      paths.insert(path);
    }
  }
  if (paths.contains("branch_id") && p->role == Role::kBranch) {
    return reply(absl::PermissionDeniedError(
        "role 'branch' may not move a customer to another branch"));
  }
  v1::Customer fields;
  ValidateAndCopy(v, req.customer(), paths, now, &fields);
  if (!v.empty()) return reply(v.ToStatus());
  const PiiView visible = DefaultViewFor(*p);

  const std::string id = req.customer().customer_id();
  db::SubmitMutation<v1::UpdateCustomerResponse>(
      db_.writer(), clock_, call.With(req.request_id(), ResourceName(id)), req,
      [id, etag = req.customer().etag(), paths = std::move(paths),
       fields = std::move(fields),
       visible](db::MutationContext& ctx,
                v1::UpdateCustomerResponse* out) -> absl::Status {
        ASSIGN_OR_RETURN(StoredCustomer sc, LoadForChange(ctx, id));
        if (!etag.empty() && etag != sc.customer.etag()) {
          return ErrorWithReason(
              absl::StatusCode::kFailedPrecondition, "ETAG_MISMATCH",
              absl::StrCat("customer.etag '", etag,
                           "' is stale; the customer is now at '",
                           sc.customer.etag(),
                           "': read it again and reapply the change"),
              {{"current_etag", sc.customer.etag()}});
        }
        if (paths.contains("phone")) {
          RETURN_IF_ERROR(CheckPhoneFree(ctx.conn, fields.phone(), id,
                                         *ctx.meta.principal));
        }
        // Apply exactly the masked fields. `fields` is already validated and
        // normalised; normalising again is a no-op, so this only copies.
        ViolationCollector already_checked;
        ValidateAndCopy(already_checked, fields, paths, ctx.now_micros,
                        &sc.customer);
        RETURN_IF_ERROR(SaveChange(ctx, sc, "UPDATED"));
        *out->mutable_customer() = std::move(sc.customer);
        ApplyPiiPolicy(visible, out->mutable_customer());
        return absl::OkStatus();
      },
      std::move(reply));
}

void CustomerManager::ListCustomers(CallMeta call,
                                    const v1::ListCustomersRequest& req,
                                    Reply<v1::ListCustomersResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  absl::StatusOr<int> page_size = ResolvePageSize(req.page_size());
  v.Merge(page_size.status());
  ListQuery q;
  q.branch_scope = BranchScope(*p);
  absl::StatusOr<std::vector<FilterTerm>> terms = ParseFilter(req.filter());
  v.Merge(terms.status());
  std::vector<std::string> canonical;
  if (terms.ok()) {
    for (const FilterTerm& t : *terms) {
      if (t.field == "branch_id") {
        CheckId(v, "filter", t.value);
        q.branch_id = t.value;
      } else if (t.field == "tier") {
        std::string name = absl::AsciiStrToUpper(t.value);
        if (name.rfind("CUSTOMER_TIER_", 0) != 0)
          name = "CUSTOMER_TIER_" + name;
        v1::CustomerTier tier;
        if (!v1::CustomerTier_Parse(name, &tier) ||
            tier == v1::CUSTOMER_TIER_UNSPECIFIED) {
          v.Add("filter", "tier must be POTENTIAL, REGULAR or VIP");
        }
        q.tier = tier;
      } else if (t.field == "marketing_consent") {
        if (t.value != "true" && t.value != "false") {
          v.Add("filter", "marketing_consent must be true or false");
        }
        q.marketing_consent = t.value == "true";
      } else {
        v.Add("filter",
              absl::StrCat("unknown field '", TruncateUtf8(t.field, 64),
                           "'; use branch_id, tier or marketing_consent"));
      }
      canonical.push_back(absl::StrCat(t.field, "=", t.value));
    }
  }
  std::sort(canonical.begin(), canonical.end());
  const std::string scope =
      PageTokenScope(call.method, *p, absl::StrJoin(canonical, "&"));
  absl::StatusOr<int64_t> after = tokens_.Decode(req.page_token(), scope);
  v.Merge(after.status());
  if (!v.empty()) return reply(v.ToStatus());
  const absl::StatusOr<PiiView> visible = ViewFor(*p, req.reveal_pii());
  if (!visible.ok()) return reply(visible.status());
  q.after_row = *after;
  q.limit = *page_size + 1;  // one extra row tells whether a next page exists

  v1::ListCustomersResponse* out = reply.out();
  absl::Status status = db_.Read(call.wait, [&](db::Connection& conn) {
    return FinishCustomerPage(
        customers::ListCustomers(conn, q, out->mutable_customers()), *page_size,
        *visible, tokens_, scope, out);
  });
  FinishRead(call.With("", "customers"), NeedsRevealAudit(*p, req.reveal_pii()),
             std::move(status), std::move(reply));
}

void CustomerManager::SearchCustomers(
    CallMeta call, const v1::SearchCustomersRequest& req,
    Reply<v1::SearchCustomersResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  absl::StatusOr<int> page_size = ResolvePageSize(req.page_size());
  v.Merge(page_size.status());
  SearchQuery q;
  q.branch_scope = BranchScope(*p);
  const int given = !req.phone().empty() + !req.email().empty() +
                    !req.name_contains().empty();
  if (given != 1) {
    v.Add("phone", "exactly one of phone, email and name_contains is required");
  } else if (!req.phone().empty()) {
    q.by = SearchQuery::By::kPhone;
    if (auto phone = NormalizePhone(req.phone()))
      q.value = *phone;
    else
      v.Add("phone", kPhoneRule);
  } else if (!req.email().empty()) {
    q.by = SearchQuery::By::kEmail;
    if (auto email = NormalizeEmail(req.email()))
      q.value = *email;
    else
      v.Add("email", kEmailRule);
  } else {
    q.by = SearchQuery::By::kName;
    CheckText(v, "name_contains", req.name_contains(), 1, 100);
    q.value = req.name_contains();
  }
  const std::string scope = PageTokenScope(
      call.method, *p, absl::StrCat(static_cast<int>(q.by), "=", q.value));
  absl::StatusOr<int64_t> after = tokens_.Decode(req.page_token(), scope);
  v.Merge(after.status());
  if (!v.empty()) return reply(v.ToStatus());
  const absl::StatusOr<PiiView> visible = ViewFor(*p, req.reveal_pii());
  if (!visible.ok()) return reply(visible.status());
  q.after_row = *after;
  q.limit = *page_size + 1;

  v1::SearchCustomersResponse* out = reply.out();
  absl::Status status = db_.Read(call.wait, [&](db::Connection& conn) {
    return FinishCustomerPage(
        customers::SearchCustomers(conn, q, out->mutable_customers()),
        *page_size, *visible, tokens_, scope, out);
  });
  FinishRead(call.With("", "customers"), NeedsRevealAudit(*p, req.reveal_pii()),
             std::move(status), std::move(reply));
}

void CustomerManager::AdjustPoints(CallMeta call,
                                   const v1::AdjustPointsRequest& req,
                                   Reply<v1::AdjustPointsResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  CheckId(v, "customer_id", req.customer_id());
  if (req.delta() == 0 || req.delta() > kMaxPointsDelta ||
      req.delta() < -kMaxPointsDelta) {
    v.Add("delta", absl::StrCat("must be non-zero and between -",
                                kMaxPointsDelta, " and ", kMaxPointsDelta));
  }
  CheckSingleLineText(v, "reason", TrimUnicodeSpace(req.reason()), 1, 200);
  if (!v.empty()) return reply(v.ToStatus());
  const PiiView visible = DefaultViewFor(*p);

  const std::string id = req.customer_id();
  db::SubmitMutation<v1::AdjustPointsResponse>(
      db_.writer(), clock_, call.With(req.request_id(), ResourceName(id)), req,
      [id, delta = req.delta(), reason = req.reason(), visible](
          db::MutationContext& ctx,
          v1::AdjustPointsResponse* out) -> absl::Status {
        ASSIGN_OR_RETURN(StoredCustomer sc, LoadForChange(ctx, id));
        const int64_t balance = sc.customer.points_balance() + delta;
        if (balance < 0) {
          return ErrorWithReason(
              absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_POINTS",
              absl::StrCat("delta: the balance is ",
                           sc.customer.points_balance(),
                           " points; cannot deduct ", -delta),
              {{"points_balance", absl::StrCat(sc.customer.points_balance())}});
        }
        if (balance > kMaxPointsBalance) {
          return ErrorWithReason(
              absl::StatusCode::kFailedPrecondition, "POINTS_LIMIT",
              absl::StrCat("delta: the balance may not exceed ",
                           kMaxPointsBalance, " points"));
        }
        sc.customer.set_points_balance(balance);
        v1::PointsTransaction t;
        t.set_transaction_id(NewId("pts", ctx.now_micros));
        t.set_customer_id(id);
        t.set_delta(delta);
        t.set_balance_after(balance);
        t.set_reason(reason);
        t.set_actor(ctx.meta.principal->id);
        t.set_staff_id(ctx.meta.staff_id);
        *t.mutable_create_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        RETURN_IF_ERROR(InsertPointsTransaction(ctx.conn, sc.row, t));
        RETURN_IF_ERROR(SaveChange(ctx, sc, "POINTS_ADJUSTED"));
        *out->mutable_customer() = std::move(sc.customer);
        ApplyPiiPolicy(visible, out->mutable_customer());
        *out->mutable_transaction() = std::move(t);
        ApplyPiiPolicy(visible, out->mutable_transaction());
        return absl::OkStatus();
      },
      std::move(reply));
}

void CustomerManager::ListPointsTransactions(
    CallMeta call, const v1::ListPointsTransactionsRequest& req,
    Reply<v1::ListPointsTransactionsResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckId(v, "customer_id", req.customer_id());
  absl::StatusOr<int> page_size = ResolvePageSize(req.page_size());
  v.Merge(page_size.status());
  const std::string scope = PageTokenScope(call.method, *p, req.customer_id());
  absl::StatusOr<int64_t> after = tokens_.Decode(req.page_token(), scope);
  v.Merge(after.status());
  if (!v.empty()) return reply(v.ToStatus());

  v1::ListPointsTransactionsResponse* out = reply.out();
  reply(db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        StoredCustomer sc,
        customers::GetCustomer(conn, req.customer_id(), BranchScope(*p)));
    ASSIGN_OR_RETURN(auto rows, customers::ListPointsTransactions(
                                    conn, sc.row, *after, *page_size + 1));
    const bool more = static_cast<int>(rows.size()) > *page_size;
    if (more) rows.resize(*page_size);
    const PiiView view = DefaultViewFor(*p);
    for (auto& [row, t] : rows) {
      v1::PointsTransaction* added = out->add_transactions();
      *added = std::move(t);
      ApplyPiiPolicy(view, added);
    }
    if (more)
      out->set_next_page_token(tokens_.Encode(scope, rows.back().first));
    return absl::OkStatus();
  }));
}

void CustomerManager::ExportCustomerData(
    CallMeta call, const v1::ExportCustomerDataRequest& req,
    Reply<v1::ExportCustomerDataResponse> reply) {
  const PrincipalPtr& p = call.principal;
  ViolationCollector v;
  CheckId(v, "customer_id", req.customer_id());
  if (!v.empty()) return reply(v.ToStatus());

  v1::ExportCustomerDataResponse* out = reply.out();
  absl::Status status =
      db_.Read(call.wait, [&](db::Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(
            StoredCustomer sc,
            customers::GetCustomer(conn, req.customer_id(), BranchScope(*p)));
        int64_t after = 0;
        for (;;) {
          ASSIGN_OR_RETURN(auto rows, customers::ListPointsTransactions(
                                          conn, sc.row, after, kMaxPageSize));
          for (auto& [row, t] : rows)
            *out->add_points_transactions() = std::move(t);
          if (static_cast<int>(rows.size()) < kMaxPageSize) break;
          after = rows.back().first;
        }
        if (registry_ != nullptr) {
          for (PersonDataPart* part : registry_->person_data_parts()) {
            RETURN_IF_ERROR(part->ExportPerson(conn, req.customer_id(),
                                               out->mutable_records()));
          }
        }
        *out->mutable_customer() = std::move(sc.customer);
        *out->mutable_export_time() =
            TimeUtil::MicrosecondsToTimestamp(clock_.NowMicros());
        return absl::OkStatus();
      });
  // An export always reveals personal data, so it is always audited.
  FinishRead(call.With("", ResourceName(req.customer_id())),
             /*audited_reveal=*/true, std::move(status), std::move(reply));
}

void CustomerManager::EraseCustomer(CallMeta call,
                                    const v1::EraseCustomerRequest& req,
                                    Reply<v1::EraseCustomerResponse> reply) {
  ViolationCollector v;
  CheckRequestId(v, "request_id", req.request_id());
  CheckId(v, "customer_id", req.customer_id());
  CheckSingleLineText(v, "reason", TrimUnicodeSpace(req.reason()), 1, 200);
  if (!v.empty()) return reply(v.ToStatus());

  const std::string id = req.customer_id();
  db::SubmitMutation<v1::EraseCustomerResponse>(
      db_.writer(), clock_, call.With(req.request_id(), ResourceName(id)), req,
      [this, id, reason = std::string(TrimUnicodeSpace(req.reason()))](
          db::MutationContext& ctx,
          v1::EraseCustomerResponse* out) -> absl::Status {
        ASSIGN_OR_RETURN(StoredCustomer sc, LoadForChange(ctx, id));
        // The record of the erasure (a ticket, never the person's data;
        // retailctl warns so), kept where audits look for it.
        ctx.audit_detail = absl::StrCat("reason: ", reason);
        v1::Customer& c = sc.customer;
        ErasePersonalFields(&c);
        *c.mutable_erase_time() =
            TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
        RETURN_IF_ERROR(SaveChange(ctx, sc, "ERASED"));
        // Free text written about the person (ledger reasons such as
        // "birthday gift for 张三 139...") goes too; amounts stay.
        RETURN_IF_ERROR(ErasePointsReasons(ctx.conn, sc.row));
        // Every other module forgets the person in the same transaction.
        if (registry_ != nullptr) {
          for (PersonDataPart* part : registry_->person_data_parts()) {
            RETURN_IF_ERROR(part->ErasePerson(ctx, id));
          }
        }
        // Stored replay copies of earlier responses hold the old personal
        // data. Scrub only that: every other byte stays as first answered
        // (a retry of a create made at another branch, before points were
        // added, must still get that first answer back).
        RETURN_IF_ERROR(db::RewriteStoredResponses(
            ctx.conn, ctx.meta.resource,
            [&id](google::protobuf::Message* m) { ScrubPerson(m, id); }));
        // The bytes must be gone from the WAL when this call returns.
        ctx.conn.RequestCheckpointAfterCommit();
        *out->mutable_customer() = c;
        return absl::OkStatus();
      },
      std::move(reply));
}

absl::StatusOr<int> CustomerManager::SweepLapsedTiers(int limit) {
  static const auto* const kSystem =
      new std::shared_ptr<const Principal>(std::make_shared<const Principal>(
          Principal{"system", Role::kAdmin, "", {}}));
  int changed = 0;
  absl::Status status =
      db_.writer().RunSync([&](db::Connection& conn) -> absl::Status {
        changed = 0;
        CallMeta meta;
        meta.principal = *kSystem;
        meta.method = kSweepMethod;
        meta.resource = "customers";
        db::MutationContext ctx{conn, clock_.NowMicros(), meta};
        const int64_t cutoff =
            ctx.now_micros - options_.tiers.active_days * kMicrosPerDay;
        ASSIGN_OR_RETURN(std::vector<StoredCustomer> lapsed,
                         ListLapsedTierCustomers(conn, cutoff, limit));
        for (StoredCustomer& sc : lapsed) {
          RecomputeTier(options_.tiers, ctx.now_micros, &sc.customer);
          RETURN_IF_ERROR(SaveChange(ctx, sc, "TIER_RECOMPUTED"));
          ++changed;
        }
        if (changed == 0) return absl::OkStatus();
        return db::AppendAudit(
            conn,
            db::AuditFor(meta, "OK", absl::StrCat(changed, " tier(s) lapsed")),
            ctx.now_micros);
      });
  if (!status.ok()) return status;
  return changed;
}

absl::Status CustomerManager::RecordPurchase(db::MutationContext& ctx,
                                             const std::string& customer_id,
                                             int64_t amount_minor,
                                             int64_t purchase_micros,
                                             bool new_order) {
  // The order's authority: no branch scope, and an erased customer's
  // anonymised aggregates still count the purchase.
  ASSIGN_OR_RETURN(StoredCustomer sc,
                   customers::GetCustomer(ctx.conn, customer_id, ""));
  v1::Customer& c = sc.customer;
  c.mutable_total_spend()->set_minor_units(c.total_spend().minor_units() +
                                           amount_minor);
  if (new_order) c.set_order_count(c.order_count() + 1);
  if (!c.has_last_purchase_time() ||
      TimeUtil::TimestampToMicroseconds(c.last_purchase_time()) <
          purchase_micros) {
    *c.mutable_last_purchase_time() =
        TimeUtil::MicrosecondsToTimestamp(purchase_micros);
  }
  RecomputeTier(options_.tiers, ctx.now_micros, &c);
  return SaveChange(ctx, sc, "PURCHASE_RECORDED");
}

absl::StatusOr<CustomerDirectory::Contact> CustomerManager::GetContact(
    db::Connection& conn, const std::string& customer_id) {
  ASSIGN_OR_RETURN(StoredCustomer sc,
                   customers::GetCustomer(conn, customer_id, ""));
  const v1::Customer& c = sc.customer;
  Contact contact{c.display_name(), c.phone(), c.branch_id()};
  contact.vip = c.tier() == v1::CUSTOMER_TIER_VIP;
  if (c.has_birthday()) {
    contact.birth_month = c.birthday().month();
    contact.birth_day = c.birthday().day();
  }
  contact.erased = c.has_erase_time();
  return contact;
}

absl::StatusOr<std::vector<CustomerDirectory::VipBirthday>>
CustomerManager::ListVipBirthdays(db::Connection& conn, int64_t after_row,
                                  int limit) {
  ListQuery q;
  q.tier = v1::CUSTOMER_TIER_VIP;
  q.after_row = after_row;
  q.limit = limit;
  CustomerList page;
  ASSIGN_OR_RETURN(std::vector<int64_t> rows,
                   customers::ListCustomers(conn, q, &page));
  std::vector<VipBirthday> out;
  for (int i = 0; i < page.size(); ++i) {
    const v1::Customer& c = page.Get(i);
    // Every row is returned (with month 0 when unknown), so the caller's
    // paging key moves past customers without a birthday too.
    VipBirthday b{rows[i], c.customer_id()};
    if (c.has_birthday() && !c.has_erase_time()) {
      b.month = c.birthday().month();
      b.day = c.birthday().day();
    }
    out.push_back(std::move(b));
  }
  return out;
}

absl::Status CustomerManager::RecordReturn(db::MutationContext& ctx,
                                           const std::string& customer_id,
                                           int64_t amount_minor,
                                           bool order_fully_returned) {
  ASSIGN_OR_RETURN(StoredCustomer sc,
                   customers::GetCustomer(ctx.conn, customer_id, ""));
  v1::Customer& c = sc.customer;
  // Clamped at zero: aggregates of customers migrated from older data may
  // not include every order that is now returned.
  c.mutable_total_spend()->set_minor_units(
      std::max<int64_t>(0, c.total_spend().minor_units() - amount_minor));
  if (order_fully_returned) {
    c.set_order_count(std::max<int64_t>(0, c.order_count() - 1));
  }
  RecomputeTier(options_.tiers, ctx.now_micros, &c);
  return SaveChange(ctx, sc, "RETURN_RECORDED");
}

absl::StatusOr<int64_t> CustomerManager::TakeBackPoints(
    db::MutationContext& ctx, const std::string& customer_id,
    int64_t max_points, const std::string& reason) {
  ASSIGN_OR_RETURN(StoredCustomer sc,
                   customers::GetCustomer(ctx.conn, customer_id, ""));
  const int64_t taken =
      std::min(std::max<int64_t>(0, max_points), sc.customer.points_balance());
  if (taken == 0) return 0;
  RETURN_IF_ERROR(ChangePoints(ctx, customer_id, -taken, reason).status());
  return taken;
}

absl::Status CustomerManager::CheckCustomerActive(
    db::Connection& conn, const std::string& customer_id) {
  ASSIGN_OR_RETURN(StoredCustomer sc,
                   customers::GetCustomer(conn, customer_id, ""));
  if (sc.customer.has_erase_time()) return ErasedError(customer_id);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CustomerManager::ChangePoints(
    db::MutationContext& ctx, const std::string& customer_id, int64_t delta,
    const std::string& reason) {
  ASSIGN_OR_RETURN(StoredCustomer sc,
                   customers::GetCustomer(ctx.conn, customer_id, ""));
  const int64_t balance = sc.customer.points_balance() + delta;
  if (balance < 0) {
    return ErrorWithReason(
        absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_POINTS",
        absl::StrCat("the customer has ", sc.customer.points_balance(),
                     " points; ", -delta, " are needed"),
        {{"points_balance", absl::StrCat(sc.customer.points_balance())},
         {"points_needed", absl::StrCat(-delta)}});
  }
  if (balance > kMaxPointsBalance) {
    return ErrorWithReason(absl::StatusCode::kFailedPrecondition,
                           "POINTS_LIMIT",
                           absl::StrCat("the balance may not exceed ",
                                        kMaxPointsBalance, " points"));
  }
  if (delta == 0) return balance;
  sc.customer.set_points_balance(balance);
  v1::PointsTransaction t;
  t.set_transaction_id(NewId("pts", ctx.now_micros));
  t.set_customer_id(customer_id);
  t.set_delta(delta);
  t.set_balance_after(balance);
  t.set_reason(reason);
  t.set_actor(ctx.meta.principal->id);
  t.set_staff_id(ctx.meta.staff_id);
  *t.mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(ctx.now_micros);
  RETURN_IF_ERROR(InsertPointsTransaction(ctx.conn, sc.row, t));
  RETURN_IF_ERROR(SaveChange(ctx, sc, "POINTS_ADJUSTED"));
  return balance;
}

}  // namespace retail::customers
