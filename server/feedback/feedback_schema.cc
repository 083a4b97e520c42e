#include "server/feedback/feedback_schema.h"

namespace retail::feedback {
namespace {

// Days (`day`) are business days in the chain's time zone, as days since
// 1970-01-01 there, fixed when the row is written: the report groups by
// them without converting a time per row.
constexpr char kV1[] = R"sql(
-- Questionnaires: the chain's, never personal, never changed once created.
CREATE TABLE surveys (
  id             INTEGER PRIMARY KEY,  -- keyset pagination key
  survey_id      TEXT NOT NULL UNIQUE,
  body           BLOB NOT NULL,        -- a serialised retail.feedback.v1.Survey
  create_time_us INTEGER NOT NULL
) STRICT;

CREATE TABLE survey_responses (
  id             INTEGER PRIMARY KEY,
  response_id    TEXT NOT NULL UNIQUE,
  survey_id      TEXT NOT NULL,
  customer_id    TEXT NOT NULL,        -- '' after erasure
  branch_id      TEXT NOT NULL,
  order_id       TEXT NOT NULL,        -- '' when none
  complaint_id   TEXT NOT NULL,        -- '' when none
  -- A serialised retail.feedback.v1.SurveyResponse. Its free-text answers
  -- are personal: emptied (and customer_id cleared) on erasure.
  body           BLOB NOT NULL,
  text_erased    INTEGER NOT NULL CHECK (text_erased IN (0, 1)),
  day            INTEGER NOT NULL,
  create_time_us INTEGER NOT NULL
) STRICT;
-- One response per customer per survey per order or complaint.
CREATE UNIQUE INDEX survey_responses_once
  ON survey_responses (survey_id, customer_id, order_id, complaint_id)
  WHERE customer_id <> '';
CREATE INDEX survey_responses_by_customer ON survey_responses (customer_id)
  WHERE customer_id <> '';

CREATE TABLE feedback_items (
  id                INTEGER PRIMARY KEY,
  feedback_id       TEXT NOT NULL UNIQUE,
  kind              INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 4),
  channel           INTEGER NOT NULL CHECK (channel BETWEEN 1 AND 7),
  branch_id         TEXT NOT NULL,
  customer_id       TEXT NOT NULL,     -- '' when anonymous, and after erasure
  sku               TEXT NOT NULL,
  order_id          TEXT NOT NULL,
  rating            INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 5),
  text              TEXT NOT NULL,     -- personal: emptied on erasure
  sentiment         INTEGER NOT NULL CHECK (sentiment BETWEEN 1 AND 3),
  sentiment_score   REAL NOT NULL,
  -- Lexicon terms, one per line (never free text: kept after erasure).
  topics            TEXT NOT NULL,
  keywords          TEXT NOT NULL,
  complaint_id      TEXT NOT NULL,     -- the complaint it opened, or ''
  needs_review      INTEGER NOT NULL CHECK (needs_review IN (0, 1)),
  escalation_reason TEXT NOT NULL,
  text_erased       INTEGER NOT NULL CHECK (text_erased IN (0, 1)),
  day               INTEGER NOT NULL,
  create_time_us    INTEGER NOT NULL
) STRICT;
CREATE INDEX feedback_items_by_branch ON feedback_items (branch_id, id);
CREATE INDEX feedback_items_by_created ON feedback_items (create_time_us, id);
CREATE INDEX feedback_items_by_sku ON feedback_items (sku, id) WHERE sku <> '';
CREATE INDEX feedback_items_by_customer ON feedback_items (customer_id)
  WHERE customer_id <> '';
CREATE INDEX feedback_items_for_review ON feedback_items (id)
  WHERE needs_review = 1;

-- One row per (record, term) of the analysis: topics (kind 1) and keywords
-- (kind 2) of feedback items (source 2) and free-text answers (source 1).
-- ListFeedback's topic and keyword filters are index ranges here.
CREATE TABLE feedback_terms (
  source    INTEGER NOT NULL CHECK (source IN (1, 2)),
  kind      INTEGER NOT NULL CHECK (kind IN (1, 2)),
  term      TEXT NOT NULL,
  ref_row   INTEGER NOT NULL,         -- survey_responses.id or feedback_items.id
  negative  INTEGER NOT NULL CHECK (negative IN (0, 1)),
  branch_id TEXT NOT NULL,
  day       INTEGER NOT NULL,
  PRIMARY KEY (source, kind, term, ref_row)
) STRICT, WITHOUT ROWID;
CREATE INDEX feedback_terms_by_day ON feedback_terms (day, branch_id)
  WHERE negative = 1;

-- Every rating (kind 1, 1..5) and NPS score (kind 2, 0..10) given, from a
-- survey answer (source 1) or a feedback item (source 2): the rows the
-- report's figures are counted from.
CREATE TABLE feedback_scores (
  id        INTEGER PRIMARY KEY,
  source    INTEGER NOT NULL CHECK (source IN (1, 2)),
  kind      INTEGER NOT NULL CHECK (kind IN (1, 2)),
  value     INTEGER NOT NULL CHECK (value BETWEEN 0 AND 10),
  ref_row   INTEGER NOT NULL,
  branch_id TEXT NOT NULL,
  day       INTEGER NOT NULL
) STRICT;
CREATE INDEX feedback_scores_by_day ON feedback_scores (day, branch_id);

-- Daily rollups, written in the same transaction as the rows they count
-- (so they never disagree; a test recounts them from the rows). Erasure
-- changes none of them: ratings and sentiment stay in the statistics.
CREATE TABLE feedback_daily (
  day                 INTEGER NOT NULL,
  branch_id           TEXT NOT NULL,
  survey_ratings      INTEGER NOT NULL,
  survey_satisfied    INTEGER NOT NULL,  -- ratings of 4 or 5
  survey_rating_sum   INTEGER NOT NULL,
  feedback_ratings    INTEGER NOT NULL,
  feedback_satisfied  INTEGER NOT NULL,
  feedback_rating_sum INTEGER NOT NULL,
  nps_count           INTEGER NOT NULL,
  nps_promoters       INTEGER NOT NULL,  -- 9 and 10
  nps_detractors      INTEGER NOT NULL,  -- 0 to 6
  responses           INTEGER NOT NULL,
  feedback_items      INTEGER NOT NULL,
  PRIMARY KEY (day, branch_id)
) STRICT, WITHOUT ROWID;
-- Terms of negative records per day, per branch and for the whole chain
-- (branch_id ''), so "top negative topics" over a quarter reads a few
-- thousand rows instead of every term.
CREATE TABLE feedback_term_daily (
  branch_id TEXT NOT NULL,
  day       INTEGER NOT NULL,
  kind      INTEGER NOT NULL CHECK (kind IN (1, 2)),
  term      TEXT NOT NULL,
  count     INTEGER NOT NULL,
  PRIMARY KEY (branch_id, day, kind, term)
) STRICT, WITHOUT ROWID;

CREATE TABLE follow_ups (
  id                INTEGER PRIMARY KEY,
  follow_up_id      TEXT NOT NULL UNIQUE,
  revision          INTEGER NOT NULL,
  customer_id       TEXT NOT NULL,     -- '' after erasure
  branch_id         TEXT NOT NULL,
  reason            INTEGER NOT NULL CHECK (reason BETWEEN 1 AND 4),
  due_us            INTEGER NOT NULL,
  order_id          TEXT NOT NULL,
  complaint_id      TEXT NOT NULL,
  owner_id          TEXT NOT NULL,
  status            INTEGER NOT NULL CHECK (status IN (1, 2)),
  outcome           INTEGER NOT NULL CHECK (outcome BETWEEN 0 AND 2),
  satisfaction      INTEGER NOT NULL CHECK (satisfaction BETWEEN 0 AND 5),
  repurchase_intent INTEGER NOT NULL CHECK (repurchase_intent BETWEEN 0 AND 3),
  notes             TEXT NOT NULL,     -- personal: emptied on erasure
  automatic         INTEGER NOT NULL CHECK (automatic IN (0, 1)),
  -- What the scheduler made it for ("complaint:<id>", "vip_order:<id>",
  -- "birthday:<customer>:<year>"); NULL when a person scheduled it. Unique,
  -- so a cause is never scheduled twice, even by two slices racing.
  cause             TEXT UNIQUE,
  create_time_us    INTEGER NOT NULL,
  complete_time_us  INTEGER
) STRICT;
CREATE INDEX follow_ups_by_due ON follow_ups (due_us, id);
CREATE INDEX follow_ups_by_branch_due ON follow_ups (branch_id, due_us, id);
CREATE INDEX follow_ups_by_customer ON follow_ups (customer_id)
  WHERE customer_id <> '';
CREATE INDEX follow_ups_by_complaint ON follow_ups (complaint_id, reason)
  WHERE complaint_id <> '';

-- Where each automatic scan of the follow-up scheduler has got to: a
-- keyset (after_us, after_row) over the source's rows.
CREATE TABLE follow_up_scans (
  name      TEXT PRIMARY KEY,
  after_us  INTEGER NOT NULL,
  after_row INTEGER NOT NULL
) STRICT;
)sql";

// PostgreSQL (issue 16): the same tables (common/db/migrations.h). Types:
// INTEGER -> BIGINT, REAL -> DOUBLE PRECISION, TEXT -> TEXT, BLOB -> BYTEA,
// INTEGER PRIMARY KEY -> an identity; booleans stay 0/1.
constexpr char kPgV1[] = R"sql(
CREATE TABLE surveys (
  id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  survey_id      TEXT NOT NULL UNIQUE,
  body           BYTEA NOT NULL,
  create_time_us BIGINT NOT NULL
);

CREATE TABLE survey_responses (
  id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  response_id    TEXT NOT NULL UNIQUE,
  survey_id      TEXT NOT NULL,
  customer_id    TEXT NOT NULL,
  branch_id      TEXT NOT NULL,
  order_id       TEXT NOT NULL,
  complaint_id   TEXT NOT NULL,
  body           BYTEA NOT NULL,
  text_erased    BIGINT NOT NULL CHECK (text_erased IN (0, 1)),
  day            BIGINT NOT NULL,
  create_time_us BIGINT NOT NULL
);
CREATE UNIQUE INDEX survey_responses_once
  ON survey_responses (survey_id, customer_id, order_id, complaint_id)
  WHERE customer_id <> '';
CREATE INDEX survey_responses_by_customer ON survey_responses (customer_id)
  WHERE customer_id <> '';

CREATE TABLE feedback_items (
  id                BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  feedback_id       TEXT NOT NULL UNIQUE,
  kind              BIGINT NOT NULL CHECK (kind BETWEEN 1 AND 4),
  channel           BIGINT NOT NULL CHECK (channel BETWEEN 1 AND 7),
  branch_id         TEXT NOT NULL,
  customer_id       TEXT NOT NULL,
  sku               TEXT NOT NULL,
  order_id          TEXT NOT NULL,
  rating            BIGINT NOT NULL CHECK (rating BETWEEN 0 AND 5),
  text              TEXT NOT NULL,
  sentiment         BIGINT NOT NULL CHECK (sentiment BETWEEN 1 AND 3),
  sentiment_score   DOUBLE PRECISION NOT NULL,
  topics            TEXT NOT NULL,
  keywords          TEXT NOT NULL,
  complaint_id      TEXT NOT NULL,
  needs_review      BIGINT NOT NULL CHECK (needs_review IN (0, 1)),
  escalation_reason TEXT NOT NULL,
  text_erased       BIGINT NOT NULL CHECK (text_erased IN (0, 1)),
  day               BIGINT NOT NULL,
  create_time_us    BIGINT NOT NULL
);
CREATE INDEX feedback_items_by_branch ON feedback_items (branch_id, id);
CREATE INDEX feedback_items_by_created ON feedback_items (create_time_us, id);
CREATE INDEX feedback_items_by_sku ON feedback_items (sku, id) WHERE sku <> '';
CREATE INDEX feedback_items_by_customer ON feedback_items (customer_id)
  WHERE customer_id <> '';
CREATE INDEX feedback_items_for_review ON feedback_items (id)
  WHERE needs_review = 1;

CREATE TABLE feedback_terms (
  source    BIGINT NOT NULL CHECK (source IN (1, 2)),
  kind      BIGINT NOT NULL CHECK (kind IN (1, 2)),
  term      TEXT NOT NULL,
  ref_row   BIGINT NOT NULL,
  negative  BIGINT NOT NULL CHECK (negative IN (0, 1)),
  branch_id TEXT NOT NULL,
  day       BIGINT NOT NULL,
  PRIMARY KEY (source, kind, term, ref_row)
);
CREATE INDEX feedback_terms_by_day ON feedback_terms (day, branch_id)
  WHERE negative = 1;

CREATE TABLE feedback_scores (
  id        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  source    BIGINT NOT NULL CHECK (source IN (1, 2)),
  kind      BIGINT NOT NULL CHECK (kind IN (1, 2)),
  value     BIGINT NOT NULL CHECK (value BETWEEN 0 AND 10),
  ref_row   BIGINT NOT NULL,
  branch_id TEXT NOT NULL,
  day       BIGINT NOT NULL
);
CREATE INDEX feedback_scores_by_day ON feedback_scores (day, branch_id);

CREATE TABLE feedback_daily (
  day                 BIGINT NOT NULL,
  branch_id           TEXT NOT NULL,
  survey_ratings      BIGINT NOT NULL,
  survey_satisfied    BIGINT NOT NULL,
  survey_rating_sum   BIGINT NOT NULL,
  feedback_ratings    BIGINT NOT NULL,
  feedback_satisfied  BIGINT NOT NULL,
  feedback_rating_sum BIGINT NOT NULL,
  nps_count           BIGINT NOT NULL,
  nps_promoters       BIGINT NOT NULL,
  nps_detractors      BIGINT NOT NULL,
  responses           BIGINT NOT NULL,
  feedback_items      BIGINT NOT NULL,
  PRIMARY KEY (day, branch_id)
);
CREATE TABLE feedback_term_daily (
  branch_id TEXT NOT NULL,
  day       BIGINT NOT NULL,
  kind      BIGINT NOT NULL CHECK (kind IN (1, 2)),
  term      TEXT NOT NULL,
  count     BIGINT NOT NULL,
  PRIMARY KEY (branch_id, day, kind, term)
);

CREATE TABLE follow_ups (
  id                BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  follow_up_id      TEXT NOT NULL UNIQUE,
  revision          BIGINT NOT NULL,
  customer_id       TEXT NOT NULL,
  branch_id         TEXT NOT NULL,
  reason            BIGINT NOT NULL CHECK (reason BETWEEN 1 AND 4),
  due_us            BIGINT NOT NULL,
  order_id          TEXT NOT NULL,
  complaint_id      TEXT NOT NULL,
  owner_id          TEXT NOT NULL,
  status            BIGINT NOT NULL CHECK (status IN (1, 2)),
  outcome           BIGINT NOT NULL CHECK (outcome BETWEEN 0 AND 2),
  satisfaction      BIGINT NOT NULL CHECK (satisfaction BETWEEN 0 AND 5),
  repurchase_intent BIGINT NOT NULL CHECK (repurchase_intent BETWEEN 0 AND 3),
  notes             TEXT NOT NULL,
  automatic         BIGINT NOT NULL CHECK (automatic IN (0, 1)),
  cause             TEXT UNIQUE,
  create_time_us    BIGINT NOT NULL,
  complete_time_us  BIGINT
);
CREATE INDEX follow_ups_by_due ON follow_ups (due_us, id);
CREATE INDEX follow_ups_by_branch_due ON follow_ups (branch_id, due_us, id);
CREATE INDEX follow_ups_by_customer ON follow_ups (customer_id)
  WHERE customer_id <> '';
CREATE INDEX follow_ups_by_complaint ON follow_ups (complaint_id, reason)
  WHERE complaint_id <> '';

CREATE TABLE follow_up_scans (
  name      TEXT PRIMARY KEY,
  after_us  BIGINT NOT NULL,
  after_row BIGINT NOT NULL
);
)sql";

}  // namespace

const db::ModuleSchema& FeedbackSchema() {
  static const auto* const kSchema = new db::ModuleSchema{
      "feedback",
      {
          {1,
           "surveys, responses, feedback items, terms, scores, daily "
           "rollups, follow-ups",
           kV1},
      },
      {
          {1,
           "surveys, responses, feedback items, terms, scores, daily "
           "rollups, follow-ups",
           kPgV1},
      }};
  return *kSchema;
}

}  // namespace retail::feedback
