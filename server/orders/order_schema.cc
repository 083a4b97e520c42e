#include "server/orders/order_schema.h"

namespace retail::orders {
namespace {

constexpr char kV1[] = R"sql(
CREATE TABLE orders (
  id                 INTEGER PRIMARY KEY,  -- keyset pagination key
  order_id           TEXT NOT NULL UNIQUE,
  revision           INTEGER NOT NULL,
  customer_id        TEXT NOT NULL,        -- '' for a walk-in
  branch_id          TEXT NOT NULL,
  channel            INTEGER NOT NULL CHECK (channel BETWEEN 1 AND 4),
  status             INTEGER NOT NULL CHECK (status BETWEEN 1 AND 6),
  -- The lines: a serialised retail.orders.v1.Order holding only `items`
  -- (line totals included). Never queried by SQL, always read whole.
  items              BLOB NOT NULL,
  has_delivery       INTEGER NOT NULL CHECK (has_delivery IN (0, 1)),
  -- Personal data: emptied when the customer is erased.
  delivery_recipient TEXT NOT NULL,
  delivery_phone     TEXT NOT NULL,
  delivery_address   TEXT NOT NULL,
  currency_code      TEXT NOT NULL,
  total_minor        INTEGER NOT NULL CHECK (total_minor >= 0),
  paid_minor         INTEGER NOT NULL CHECK (paid_minor >= 0),
  points_earned      INTEGER NOT NULL CHECK (points_earned >= 0),
  cancel_reason      TEXT NOT NULL,
  create_time_us     INTEGER NOT NULL,
  update_time_us     INTEGER NOT NULL,
  paid_time_us       INTEGER,
  complete_time_us   INTEGER,
  cancel_time_us     INTEGER
) STRICT;
CREATE INDEX orders_by_branch ON orders (branch_id, id);
CREATE INDEX orders_by_customer ON orders (customer_id, id);
CREATE INDEX orders_by_branch_customer ON orders (branch_id, customer_id, id);

-- Every tender attempt, succeeded or failed, oldest first by id.
CREATE TABLE order_payments (
  id                 INTEGER PRIMARY KEY,
  payment_id         TEXT NOT NULL UNIQUE,
  order_row          INTEGER NOT NULL REFERENCES orders (id),
  method             INTEGER NOT NULL CHECK (method BETWEEN 1 AND 7),
  amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
  external_reference TEXT NOT NULL,
  outcome            INTEGER NOT NULL CHECK (outcome IN (1, 2)),
  failure_reason     TEXT NOT NULL,
  points_debited     INTEGER NOT NULL CHECK (points_debited >= 0),
  staff_id           TEXT NOT NULL,
  create_time_us     INTEGER NOT NULL
) STRICT;
CREATE INDEX order_payments_by_order ON order_payments (order_row, id);
-- A succeeded tender's reference may pay one order only (PayOrder checks).
CREATE INDEX order_payments_by_reference
  ON order_payments (method, external_reference)
  WHERE outcome = 1 AND external_reference != '';

CREATE TABLE order_refunds (
  id                 INTEGER PRIMARY KEY,
  refund_id          TEXT NOT NULL UNIQUE,
  order_row          INTEGER NOT NULL REFERENCES orders (id),
  payment_id         TEXT NOT NULL,
  method             INTEGER NOT NULL,
  amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
  points_restored    INTEGER NOT NULL CHECK (points_restored >= 0),
  external_reference TEXT NOT NULL,
  reason             TEXT NOT NULL,
  create_time_us     INTEGER NOT NULL
) STRICT;
CREATE INDEX order_refunds_by_order ON order_refunds (order_row, id);

-- Settlement slips (结算单), one per paid order, kept for audit.
CREATE TABLE settlements (
  id             INTEGER PRIMARY KEY,
  settlement_id  TEXT NOT NULL UNIQUE,
  order_row      INTEGER NOT NULL UNIQUE REFERENCES orders (id),
  order_id       TEXT NOT NULL UNIQUE,
  branch_id      TEXT NOT NULL,
  -- A serialised retail.orders.v1.Settlement holding only `tenders`.
  tenders        BLOB NOT NULL,
  currency_code  TEXT NOT NULL,
  total_minor    INTEGER NOT NULL,
  paid_time_us   INTEGER NOT NULL,
  business_date  INTEGER NOT NULL       -- yyyymmdd in the chain's time zone
) STRICT;
CREATE INDEX settlements_by_branch_day ON settlements (branch_id, business_date, id);
)sql";

// Daily reconciliation (GetDailyReconciliation): the day's refunds and
// tender attempts by time (joined to orders for the branch), and the
// branch's orders created during the day.
constexpr char kV2[] = R"sql(
CREATE INDEX order_refunds_by_time ON order_refunds (create_time_us);
CREATE INDEX order_payments_by_time ON order_payments (create_time_us);
CREATE INDEX orders_by_branch_created ON orders (branch_id, create_time_us);
)sql";

// Returns and exchanges. order_payments is rebuilt (SQLite cannot change a
// CHECK) so its method may be 8, PAYMENT_METHOD_EXCHANGE_CREDIT.
constexpr char kV3[] = R"sql(
CREATE TABLE order_payments_v3 (
  id                 INTEGER PRIMARY KEY,
  payment_id         TEXT NOT NULL UNIQUE,
  order_row          INTEGER NOT NULL REFERENCES orders (id),
  method             INTEGER NOT NULL CHECK (method BETWEEN 1 AND 8),
  amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
  external_reference TEXT NOT NULL,
  outcome            INTEGER NOT NULL CHECK (outcome IN (1, 2)),
  failure_reason     TEXT NOT NULL,
  points_debited     INTEGER NOT NULL CHECK (points_debited >= 0),
  staff_id           TEXT NOT NULL,
  create_time_us     INTEGER NOT NULL
) STRICT;
INSERT INTO order_payments_v3 SELECT id, payment_id, order_row, method,
  amount_minor, external_reference, outcome, failure_reason, points_debited,
  staff_id, create_time_us FROM order_payments;
DROP TABLE order_payments;
ALTER TABLE order_payments_v3 RENAME TO order_payments;
CREATE INDEX order_payments_by_order ON order_payments (order_row, id);
CREATE INDEX order_payments_by_reference
  ON order_payments (method, external_reference)
  WHERE outcome = 1 AND external_reference != '';
CREATE INDEX order_payments_by_time ON order_payments (create_time_us);

ALTER TABLE order_refunds ADD COLUMN return_id TEXT NOT NULL DEFAULT '';
-- An exchange's new order names the return it came from.
ALTER TABLE orders ADD COLUMN exchange_return_id TEXT NOT NULL DEFAULT '';

CREATE TABLE order_returns (
  id             INTEGER PRIMARY KEY,  -- keyset pagination key
  return_id      TEXT NOT NULL UNIQUE,
  revision       INTEGER NOT NULL,
  order_row      INTEGER NOT NULL REFERENCES orders (id),
  branch_id      TEXT NOT NULL,        -- the order's
  customer_id    TEXT NOT NULL,        -- the order's; '' for a walk-in
  status         INTEGER NOT NULL CHECK (status BETWEEN 1 AND 5),
  -- The whole retail.orders.v1.Return, serialised; the columns above are
  -- copies for the queries and are written with it.
  body           BLOB NOT NULL,
  create_time_us INTEGER NOT NULL
) STRICT;
CREATE INDEX order_returns_by_order ON order_returns (order_row, id);
CREATE INDEX order_returns_by_branch ON order_returns (branch_id, id);
CREATE INDEX order_returns_by_customer ON order_returns (customer_id, id);
)sql";

// ListOrders by branch and status, with or without a creation-time range
// (a store's "this month's completed orders"): the branch's orders of one
// status in page order, and their creation time in the index, so a range
// is checked without reading the rows outside it. Before, such a page
// walked every order of the branch from the page token on, reading each
// row for its status and time (about 1 ms a page at 1M orders).
constexpr char kV4[] = R"sql(
CREATE INDEX orders_by_branch_status
  ON orders (branch_id, status, id, create_time_us);
)sql";

// Paid orders by paid time, for other modules' time-driven work (the
// feedback module's follow-up visits after a VIP purchase).
constexpr char kV5[] = R"sql(
CREATE INDEX settlements_by_paid_time ON settlements (paid_time_us, order_row);
)sql";

// PostgreSQL (issue 16): the module as SQLite versions 1-5 left it, in one
// step (common/db/migrations.h). Types: INTEGER -> BIGINT, TEXT -> TEXT,
// BLOB -> BYTEA, INTEGER PRIMARY KEY -> an identity; booleans stay 0/1.
constexpr char kPgV1[] = R"sql(
-- PostgreSQL: the orders module as SQLite versions 1-5 left it, in one
-- step. orders and order_payments are partitioned by month of
-- create_time_us (core migration: retail_partition_monthly), so their
-- primary keys are (id, create_time_us), and their chain-wide keys live in
-- unpartitioned key tables kept by triggers: order_keys (order_id, and the
-- row id), order_payment_keys (payment_id, row id) and
-- order_payment_references (a succeeded tender's method and external
-- reference: PayOrder lets one pay a single order). A duplicate fails with
-- 23505 as on SQLite. The foreign keys to orders (id) of order_payments,
-- order_refunds, settlements and order_returns are not declared here:
-- PostgreSQL cannot reference a partitioned table's id without its
-- create_time_us. The stores write those rows in the transaction that
-- reads or writes their order, and retention drops them with it.
CREATE TABLE orders (
  id                 BIGINT GENERATED BY DEFAULT AS IDENTITY,
  order_id           TEXT NOT NULL,  -- unique: order_keys
  revision           BIGINT NOT NULL,
  customer_id        TEXT NOT NULL,
  branch_id          TEXT NOT NULL,
  channel            BIGINT NOT NULL CHECK (channel BETWEEN 1 AND 4),
  status             BIGINT NOT NULL CHECK (status BETWEEN 1 AND 6),
  items              BYTEA NOT NULL,
  has_delivery       BIGINT NOT NULL CHECK (has_delivery IN (0, 1)),
  delivery_recipient TEXT NOT NULL,
  delivery_phone     TEXT NOT NULL,
  delivery_address   TEXT NOT NULL,
  currency_code      TEXT NOT NULL,
  total_minor        BIGINT NOT NULL CHECK (total_minor >= 0),
  paid_minor         BIGINT NOT NULL CHECK (paid_minor >= 0),
  points_earned      BIGINT NOT NULL CHECK (points_earned >= 0),
  cancel_reason      TEXT NOT NULL,
  create_time_us     BIGINT NOT NULL,
  update_time_us     BIGINT NOT NULL,
  paid_time_us       BIGINT,
  complete_time_us   BIGINT,
  cancel_time_us     BIGINT,
  exchange_return_id TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (id, create_time_us)
) PARTITION BY RANGE (create_time_us);
-- GetOrder by order_id: SQLite's UNIQUE made this index.
CREATE INDEX orders_by_order_id ON orders (order_id);
CREATE INDEX orders_by_branch ON orders (branch_id, id);
CREATE INDEX orders_by_customer ON orders (customer_id, id);
CREATE INDEX orders_by_branch_customer ON orders (branch_id, customer_id, id);
CREATE INDEX orders_by_branch_created ON orders (branch_id, create_time_us);
CREATE INDEX orders_by_branch_status
  ON orders (branch_id, status, id, create_time_us);

CREATE TABLE order_keys (
  order_id       TEXT PRIMARY KEY,
  order_row      BIGINT NOT NULL UNIQUE,  -- orders.id
  create_time_us BIGINT NOT NULL          -- orders.create_time_us
);
CREATE INDEX order_keys_by_time ON order_keys (create_time_us);

-- Keeps order_keys in step with orders. AFTER row triggers: an UPDATE that
-- moves a row to another month runs as a DELETE and an INSERT, each
-- firing its own trigger. An UPDATE that leaves the keys alone (every
-- UpdateOrder) does not fire.
CREATE FUNCTION retail_order_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM order_keys WHERE order_id = OLD.order_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO order_keys (order_id, order_row, create_time_us)
      VALUES (NEW.order_id, NEW.id, NEW.create_time_us);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER order_keys_insert_delete AFTER INSERT OR DELETE ON orders
  FOR EACH ROW EXECUTE FUNCTION retail_order_keys();
CREATE TRIGGER order_keys_update
  AFTER UPDATE OF id, order_id, create_time_us ON orders FOR EACH ROW
  WHEN (OLD.id <> NEW.id OR OLD.order_id <> NEW.order_id
        OR OLD.create_time_us <> NEW.create_time_us)
  EXECUTE FUNCTION retail_order_keys();
CALL retail_partition_monthly('orders', '{order_keys}');

-- Every tender attempt, succeeded or failed, oldest first by id.
CREATE TABLE order_payments (
  id                 BIGINT GENERATED BY DEFAULT AS IDENTITY,
  payment_id         TEXT NOT NULL,    -- unique: order_payment_keys
  order_row          BIGINT NOT NULL,  -- orders.id
  method             BIGINT NOT NULL CHECK (method BETWEEN 1 AND 8),
  amount_minor       BIGINT NOT NULL CHECK (amount_minor > 0),
  external_reference TEXT NOT NULL,
  outcome            BIGINT NOT NULL CHECK (outcome IN (1, 2)),
  failure_reason     TEXT NOT NULL,
  points_debited     BIGINT NOT NULL CHECK (points_debited >= 0),
  staff_id           TEXT NOT NULL,
  create_time_us     BIGINT NOT NULL,
  PRIMARY KEY (id, create_time_us)
) PARTITION BY RANGE (create_time_us);
CREATE INDEX order_payments_by_payment_id ON order_payments (payment_id);
CREATE INDEX order_payments_by_order ON order_payments (order_row, id);
CREATE INDEX order_payments_by_reference
  ON order_payments (method, external_reference)
  WHERE outcome = 1 AND external_reference != '';
CREATE INDEX order_payments_by_time ON order_payments (create_time_us);

CREATE TABLE order_payment_keys (
  payment_id     TEXT PRIMARY KEY,
  payment_row    BIGINT NOT NULL UNIQUE,  -- order_payments.id
  create_time_us BIGINT NOT NULL
);
CREATE INDEX order_payment_keys_by_time ON order_payment_keys (create_time_us);
-- A succeeded tender's reference pays one order only: PayOrder checks it
-- (FindSucceededReference), and this key holds it across replicas.
CREATE TABLE order_payment_references (
  method             BIGINT NOT NULL,
  external_reference TEXT NOT NULL,
  payment_row        BIGINT NOT NULL UNIQUE,  -- order_payments.id
  create_time_us     BIGINT NOT NULL,
  PRIMARY KEY (method, external_reference)
);
CREATE INDEX order_payment_references_by_time
  ON order_payment_references (create_time_us);

CREATE FUNCTION retail_order_payment_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM order_payment_keys WHERE payment_id = OLD.payment_id;
    DELETE FROM order_payment_references WHERE payment_row = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO order_payment_keys (payment_id, payment_row, create_time_us)
      VALUES (NEW.payment_id, NEW.id, NEW.create_time_us);
    IF NEW.outcome = 1 AND NEW.external_reference <> '' THEN
      INSERT INTO order_payment_references (method, external_reference,
                                            payment_row, create_time_us)
        VALUES (NEW.method, NEW.external_reference, NEW.id,
                NEW.create_time_us);
    END IF;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER order_payment_keys_insert_delete
  AFTER INSERT OR DELETE ON order_payments
  FOR EACH ROW EXECUTE FUNCTION retail_order_payment_keys();
CREATE TRIGGER order_payment_keys_update
  AFTER UPDATE OF id, payment_id, method, external_reference, outcome,
                  create_time_us ON order_payments FOR EACH ROW
  WHEN (OLD.id <> NEW.id OR OLD.payment_id <> NEW.payment_id
        OR OLD.method <> NEW.method
        OR OLD.external_reference <> NEW.external_reference
        OR OLD.outcome <> NEW.outcome
        OR OLD.create_time_us <> NEW.create_time_us)
  EXECUTE FUNCTION retail_order_payment_keys();
CALL retail_partition_monthly('order_payments',
                              '{order_payment_keys,order_payment_references}');

CREATE TABLE order_refunds (
  id                 BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  refund_id          TEXT NOT NULL UNIQUE,
  order_row          BIGINT NOT NULL,  -- orders.id
  payment_id         TEXT NOT NULL,
  method             BIGINT NOT NULL,
  amount_minor       BIGINT NOT NULL CHECK (amount_minor > 0),
  points_restored    BIGINT NOT NULL CHECK (points_restored >= 0),
  external_reference TEXT NOT NULL,
  reason             TEXT NOT NULL,
  create_time_us     BIGINT NOT NULL,
  return_id          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_refunds_by_order ON order_refunds (order_row, id);
CREATE INDEX order_refunds_by_time ON order_refunds (create_time_us);

-- Settlement slips (结算单), one per paid order, kept for audit.
CREATE TABLE settlements (
  id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  settlement_id  TEXT NOT NULL UNIQUE,
  order_row      BIGINT NOT NULL UNIQUE,  -- orders.id
  order_id       TEXT NOT NULL UNIQUE,
  branch_id      TEXT NOT NULL,
  tenders        BYTEA NOT NULL,
  currency_code  TEXT NOT NULL,
  total_minor    BIGINT NOT NULL,
  paid_time_us   BIGINT NOT NULL,
  business_date  BIGINT NOT NULL
);
CREATE INDEX settlements_by_branch_day ON settlements (branch_id, business_date, id);
CREATE INDEX settlements_by_paid_time ON settlements (paid_time_us, order_row);

CREATE TABLE order_returns (
  id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  return_id      TEXT NOT NULL UNIQUE,
  revision       BIGINT NOT NULL,
  order_row      BIGINT NOT NULL,  -- orders.id
  branch_id      TEXT NOT NULL,
  customer_id    TEXT NOT NULL,
  status         BIGINT NOT NULL CHECK (status BETWEEN 1 AND 5),
  body           BYTEA NOT NULL,
  create_time_us BIGINT NOT NULL
);
CREATE INDEX order_returns_by_order ON order_returns (order_row, id);
CREATE INDEX order_returns_by_branch ON order_returns (branch_id, id);
CREATE INDEX order_returns_by_customer ON order_returns (customer_id, id);
)sql";

}  // namespace

const db::ModuleSchema& OrderSchema() {
  static const auto* const kSchema = new db::ModuleSchema{
      "orders",
      {
          {1, "orders, payments, refunds and settlement slips", kV1},
          {2, "indexes for daily reconciliation", kV2},
          {3, "returns and exchanges", kV3},
          {4, "orders by branch and status", kV4},
          {5, "settlement slips by paid time", kV5},
      },
      {
          {1,
           "orders and payments by month with their key tables, refunds, "
           "settlement slips, returns",
           kPgV1},
      }};
  return *kSchema;
}

}  // namespace retail::orders
