#include "server/complaints/complaint_schema.h"

namespace retail::complaints {
namespace {

constexpr char kV1[] = R"sql(
CREATE TABLE complaints (
  id                 INTEGER PRIMARY KEY,  -- keyset pagination key
  complaint_id       TEXT NOT NULL UNIQUE,
  revision           INTEGER NOT NULL,     -- the etag is "r<revision>"
  customer_id        TEXT NOT NULL,
  branch_id          TEXT NOT NULL,
  order_id           TEXT NOT NULL,        -- '' when none
  channel            INTEGER NOT NULL CHECK (channel BETWEEN 1 AND 7),
  category           INTEGER NOT NULL CHECK (category BETWEEN 1 AND 7),
  severity           INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 3),
  -- Personal free text: emptied when the customer is erased.
  subject            TEXT NOT NULL,
  description        TEXT NOT NULL,
  status             INTEGER NOT NULL CHECK (status BETWEEN 1 AND 8),
  -- The status WAITING_ON_CUSTOMER returns to when the customer replies.
  resume_status      INTEGER NOT NULL,
  owner_id           TEXT NOT NULL,
  team               TEXT NOT NULL,
  escalation_level   INTEGER NOT NULL CHECK (escalation_level >= 0),
  reopen_count       INTEGER NOT NULL CHECK (reopen_count >= 0),
  failed_contacts    INTEGER NOT NULL CHECK (failed_contacts >= 0),
  closed_ever        INTEGER NOT NULL CHECK (closed_ever IN (0, 1)),
  sla_policy_version INTEGER NOT NULL,
  -- A serialised retail.complaints.v1.Solution; empty before one is
  -- proposed. Its description is free text, emptied on erasure.
  solution           BLOB NOT NULL,
  confirmation       INTEGER NOT NULL,
  satisfaction_score INTEGER NOT NULL CHECK (satisfaction_score BETWEEN 0 AND 5),
  -- Lexicon terms from the text analyser, ' '-joined (never free text:
  -- kept after erasure). One per line since version 4.
  topics             TEXT NOT NULL,
  keywords           TEXT NOT NULL,
  text_erased        INTEGER NOT NULL CHECK (text_erased IN (0, 1)),
  create_time_us     INTEGER NOT NULL,
  update_time_us     INTEGER NOT NULL,
  close_time_us      INTEGER,
  -- The earliest due time of a running clock (NULL: none runs), and when
  -- the escalation sweep must next look at it: the earliest near-breach or
  -- due instant not yet marked. Written on every change, so "what burns
  -- next" and the sweep are index ranges.
  next_due_us        INTEGER,
  next_sweep_us      INTEGER,
  breached           INTEGER NOT NULL CHECK (breached IN (0, 1))
) STRICT;
CREATE INDEX complaints_by_branch ON complaints (branch_id, id);
CREATE INDEX complaints_by_customer ON complaints (customer_id, id);
CREATE INDEX complaints_by_owner ON complaints (owner_id, id);
CREATE INDEX complaints_by_status ON complaints (status, id);
CREATE INDEX complaints_by_created ON complaints (create_time_us);
CREATE INDEX complaints_by_branch_created ON complaints (branch_id, create_time_us);
CREATE INDEX complaints_by_due ON complaints (next_due_us, id)
  WHERE next_due_us IS NOT NULL;
CREATE INDEX complaints_by_branch_due ON complaints (branch_id, next_due_us, id)
  WHERE next_due_us IS NOT NULL;
CREATE INDEX complaints_by_breached_due ON complaints (breached, next_due_us, id)
  WHERE next_due_us IS NOT NULL;
CREATE INDEX complaints_by_sweep ON complaints (next_sweep_us)
  WHERE next_sweep_us IS NOT NULL;

-- The three SLA clocks of each complaint. Times are UTC micros; amounts
-- (target, used) are in the clock's kind of time: wall-clock, or the
-- branch's open hours.
CREATE TABLE complaint_clocks (
  complaint_row    INTEGER NOT NULL REFERENCES complaints (id),
  kind             INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 3),
  business_hours   INTEGER NOT NULL CHECK (business_hours IN (0, 1)),
  target_us        INTEGER NOT NULL CHECK (target_us > 0),
  run_start_us     INTEGER NOT NULL,  -- creation, or the last reopen
  segment_start_us INTEGER NOT NULL,  -- since when it runs uninterrupted
  used_us          INTEGER NOT NULL,  -- time counted before segment_start
  due_us           INTEGER NOT NULL,  -- while running: when it is due
  paused_since_us  INTEGER,           -- NULL unless paused
  paused_us        INTEGER NOT NULL,  -- wall-clock time spent paused
  stop_us          INTEGER,           -- NULL until it stops
  near_breach      INTEGER NOT NULL CHECK (near_breach IN (0, 1)),
  breach_marked    INTEGER NOT NULL CHECK (breach_marked IN (0, 1)),
  PRIMARY KEY (complaint_row, kind)
) STRICT, WITHOUT ROWID;

-- Append-only: every state change, assignment, message, contact, pause,
-- escalation and clock event. Erasure empties `text` and nothing else.
CREATE TABLE complaint_history (
  id               INTEGER PRIMARY KEY,
  entry_id         TEXT NOT NULL UNIQUE,
  complaint_row    INTEGER NOT NULL REFERENCES complaints (id),
  kind             INTEGER NOT NULL,
  from_status      INTEGER NOT NULL,
  to_status        INTEGER NOT NULL,
  actor            TEXT NOT NULL,
  staff_id         TEXT NOT NULL,
  time_us          INTEGER NOT NULL,
  text             TEXT NOT NULL,
  owner_id         TEXT NOT NULL,
  team             TEXT NOT NULL,
  clock            INTEGER NOT NULL,
  escalation_level INTEGER NOT NULL
) STRICT;
CREATE INDEX complaint_history_by_complaint ON complaint_history (complaint_row, id);

-- One row per (complaint, lexicon keyword) for the recurring-problems
-- statistics: an index range by creation time, grouped in SQL.
CREATE TABLE complaint_keywords (
  complaint_row  INTEGER NOT NULL REFERENCES complaints (id),
  keyword        TEXT NOT NULL,
  topic          TEXT NOT NULL,
  category       INTEGER NOT NULL,
  branch_id      TEXT NOT NULL,
  create_time_us INTEGER NOT NULL,
  PRIMARY KEY (complaint_row, keyword)
) STRICT, WITHOUT ROWID;
CREATE INDEX complaint_keywords_by_created ON complaint_keywords (create_time_us);

-- Every version of the SLA policy ever in force (complaints name theirs).
CREATE TABLE complaint_sla_policies (
  version        INTEGER PRIMARY KEY,
  body           BLOB NOT NULL,   -- a serialised retail.complaints.v1.SlaPolicy
  create_time_us INTEGER NOT NULL
) STRICT;

CREATE TABLE branch_calendars (
  branch_id      TEXT PRIMARY KEY,
  body           BLOB NOT NULL,   -- a serialised retail.complaints.v1.BranchCalendar
  update_time_us INTEGER NOT NULL
) STRICT;
)sql";

// Complaints opened by negative feedback name the feedback item; the
// follow-up scheduler reads complaints by close time.
constexpr char kV2[] = R"sql(
ALTER TABLE complaints ADD COLUMN feedback_id TEXT NOT NULL DEFAULT '';
CREATE INDEX complaints_by_closed ON complaints (close_time_us, id)
  WHERE close_time_us IS NOT NULL;
)sql";

// GetComplaintStats reads the window's complaints and keywords through
// covering indexes (an index range, no table rows), replacing the plain
// creation-time indexes they extend.
constexpr char kV3[] = R"sql(
CREATE INDEX complaints_for_stats ON complaints (create_time_us, branch_id,
  category, severity, channel, status, reopen_count, closed_ever,
  satisfaction_score);
DROP INDEX complaints_by_created;
CREATE INDEX complaint_keywords_for_stats ON complaint_keywords
  (create_time_us, branch_id, category, keyword, topic);
DROP INDEX complaint_keywords_by_created;
)sql";

// Topics and keywords were ' '-joined, which split a multi-word keyword
// ("too small") in two on reading. They are one per line now; older rows
// are rewritten: topics (ids, never a space) by replacing the separator,
// keywords from complaint_keywords, which always held them whole (in
// alphabetical order: the order of first appearance was not kept there).
constexpr char kV4[] = R"sql(
UPDATE complaints SET topics = replace(topics, ' ', char(10)),
  keywords = COALESCE((SELECT group_concat(keyword, char(10)) FROM
    (SELECT keyword FROM complaint_keywords k WHERE k.complaint_row = complaints.id
     ORDER BY keyword)), '');
)sql";

// A branch calendar's changes are events like any resource's, each with its
// own revision (issue 14). A calendar stored before has been written once.
constexpr char kV5[] = R"sql(
ALTER TABLE branch_calendars ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
)sql";

// PostgreSQL (issue 16): the module as SQLite versions 1-5 left it, in one
// step (common/db/migrations.h): version 3's covering indexes in place of
// the creation-time ones they replaced; version 4 rewrote rows only.
// Types: INTEGER -> BIGINT, TEXT -> TEXT, BLOB -> BYTEA, INTEGER PRIMARY
// KEY -> an identity; booleans stay 0/1.
constexpr char kPgV1[] = R"sql(
CREATE TABLE complaints (
  id                 BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  complaint_id       TEXT NOT NULL UNIQUE,
  revision           BIGINT NOT NULL,
  customer_id        TEXT NOT NULL,
  branch_id          TEXT NOT NULL,
  order_id           TEXT NOT NULL,
  channel            BIGINT NOT NULL CHECK (channel BETWEEN 1 AND 7),
  category           BIGINT NOT NULL CHECK (category BETWEEN 1 AND 7),
  severity           BIGINT NOT NULL CHECK (severity BETWEEN 1 AND 3),
  subject            TEXT NOT NULL,
  description        TEXT NOT NULL,
  status             BIGINT NOT NULL CHECK (status BETWEEN 1 AND 8),
  resume_status      BIGINT NOT NULL,
  owner_id           TEXT NOT NULL,
  team               TEXT NOT NULL,
  escalation_level   BIGINT NOT NULL CHECK (escalation_level >= 0),
  reopen_count       BIGINT NOT NULL CHECK (reopen_count >= 0),
  failed_contacts    BIGINT NOT NULL CHECK (failed_contacts >= 0),
  closed_ever        BIGINT NOT NULL CHECK (closed_ever IN (0, 1)),
  sla_policy_version BIGINT NOT NULL,
  solution           BYTEA NOT NULL,
  confirmation       BIGINT NOT NULL,
  satisfaction_score BIGINT NOT NULL CHECK (satisfaction_score BETWEEN 0 AND 5),
  topics             TEXT NOT NULL,
  keywords           TEXT NOT NULL,
  text_erased        BIGINT NOT NULL CHECK (text_erased IN (0, 1)),
  create_time_us     BIGINT NOT NULL,
  update_time_us     BIGINT NOT NULL,
  close_time_us      BIGINT,
  next_due_us        BIGINT,
  next_sweep_us      BIGINT,
  breached           BIGINT NOT NULL CHECK (breached IN (0, 1)),
  feedback_id        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX complaints_by_branch ON complaints (branch_id, id);
CREATE INDEX complaints_by_customer ON complaints (customer_id, id);
CREATE INDEX complaints_by_owner ON complaints (owner_id, id);
CREATE INDEX complaints_by_status ON complaints (status, id);
CREATE INDEX complaints_by_branch_created ON complaints (branch_id, create_time_us);
CREATE INDEX complaints_by_due ON complaints (next_due_us, id)
  WHERE next_due_us IS NOT NULL;
CREATE INDEX complaints_by_branch_due ON complaints (branch_id, next_due_us, id)
  WHERE next_due_us IS NOT NULL;
CREATE INDEX complaints_by_breached_due ON complaints (breached, next_due_us, id)
  WHERE next_due_us IS NOT NULL;
CREATE INDEX complaints_by_sweep ON complaints (next_sweep_us)
  WHERE next_sweep_us IS NOT NULL;
CREATE INDEX complaints_by_closed ON complaints (close_time_us, id)
  WHERE close_time_us IS NOT NULL;
CREATE INDEX complaints_for_stats ON complaints (create_time_us, branch_id,
  category, severity, channel, status, reopen_count, closed_ever,
  satisfaction_score);

CREATE TABLE complaint_clocks (
  complaint_row    BIGINT NOT NULL REFERENCES complaints (id),
  kind             BIGINT NOT NULL CHECK (kind BETWEEN 1 AND 3),
  business_hours   BIGINT NOT NULL CHECK (business_hours IN (0, 1)),
  target_us        BIGINT NOT NULL CHECK (target_us > 0),
  run_start_us     BIGINT NOT NULL,
  segment_start_us BIGINT NOT NULL,
  used_us          BIGINT NOT NULL,
  due_us           BIGINT NOT NULL,
  paused_since_us  BIGINT,
  paused_us        BIGINT NOT NULL,
  stop_us          BIGINT,
  near_breach      BIGINT NOT NULL CHECK (near_breach IN (0, 1)),
  breach_marked    BIGINT NOT NULL CHECK (breach_marked IN (0, 1)),
  PRIMARY KEY (complaint_row, kind)
);

CREATE TABLE complaint_history (
  id               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  entry_id         TEXT NOT NULL UNIQUE,
  complaint_row    BIGINT NOT NULL REFERENCES complaints (id),
  kind             BIGINT NOT NULL,
  from_status      BIGINT NOT NULL,
  to_status        BIGINT NOT NULL,
  actor            TEXT NOT NULL,
  staff_id         TEXT NOT NULL,
  time_us          BIGINT NOT NULL,
  text             TEXT NOT NULL,
  owner_id         TEXT NOT NULL,
  team             TEXT NOT NULL,
  clock            BIGINT NOT NULL,
  escalation_level BIGINT NOT NULL
);
CREATE INDEX complaint_history_by_complaint ON complaint_history (complaint_row, id);

CREATE TABLE complaint_keywords (
  complaint_row  BIGINT NOT NULL REFERENCES complaints (id),
  keyword        TEXT NOT NULL,
  topic          TEXT NOT NULL,
  category       BIGINT NOT NULL,
  branch_id      TEXT NOT NULL,
  create_time_us BIGINT NOT NULL,
  PRIMARY KEY (complaint_row, keyword)
);
CREATE INDEX complaint_keywords_for_stats ON complaint_keywords
  (create_time_us, branch_id, category, keyword, topic);

-- Versions are given by the store (SQLite's INTEGER PRIMARY KEY would
-- number a row inserted without one; none is).
CREATE TABLE complaint_sla_policies (
  version        BIGINT PRIMARY KEY,
  body           BYTEA NOT NULL,
  create_time_us BIGINT NOT NULL
);

CREATE TABLE branch_calendars (
  branch_id      TEXT PRIMARY KEY,
  body           BYTEA NOT NULL,
  update_time_us BIGINT NOT NULL,
  revision       BIGINT NOT NULL DEFAULT 1
);
)sql";

}  // namespace

const db::ModuleSchema& ComplaintSchema() {
  static const auto* const kSchema = new db::ModuleSchema{
      "complaints",
      {
          {1, "complaints, clocks, history, keywords, SLA policies, calendars",
           kV1},
          {2, "the feedback that opened a complaint; complaints by close time",
           kV2},
          {3, "covering indexes for the statistics", kV3},
          {4, "topics and keywords one per line", kV4},
          {5, "branch calendar revisions", kV5},
      },
      {
          {1, "complaints, clocks, history, keywords, SLA policies, calendars",
           kPgV1},
      }};
  return *kSchema;
}

}  // namespace retail::complaints
