#include "server/customers/customer_schema.h"

namespace retail::customers {
namespace {

// Versions 1-3 are the customers half of the chain-wide schema 1-3 that
// shipped before migrations were kept per module (their legacy_version).
constexpr char kV1[] = R"sql(
CREATE TABLE customers (
  id                    INTEGER PRIMARY KEY,  -- keyset pagination key
  customer_id           TEXT NOT NULL UNIQUE,
  branch_id             TEXT NOT NULL,
  display_name          TEXT NOT NULL,
  phone                 TEXT UNIQUE,          -- normalised; NULL if none or erased
  email                 TEXT,                 -- lower-cased; NULL if none
  birthday              INTEGER,              -- yyyymmdd
  gender                INTEGER NOT NULL CHECK (gender BETWEEN 0 AND 3),
  preferences           BLOB NOT NULL,        -- retail.customers.v1.Preferences
  tier                  INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 3),
  points_balance        INTEGER NOT NULL CHECK (points_balance >= 0),
  total_spend_minor     INTEGER NOT NULL,
  currency_code         TEXT NOT NULL,
  order_count           INTEGER NOT NULL CHECK (order_count >= 0),
  last_purchase_time_us INTEGER,
  marketing_consent     INTEGER NOT NULL CHECK (marketing_consent IN (0, 1)),
  notes                 TEXT NOT NULL,
  create_time_us        INTEGER NOT NULL,
  update_time_us        INTEGER NOT NULL,
  erase_time_us         INTEGER,
  revision              INTEGER NOT NULL
) STRICT;
CREATE INDEX customers_by_branch ON customers (branch_id, id);
CREATE INDEX customers_by_tier ON customers (tier, id);
CREATE INDEX customers_by_email ON customers (email) WHERE email IS NOT NULL;
-- Finds customers whose REGULAR/VIP tier has lapsed (the tier sweep).
CREATE INDEX customers_active_tier ON customers (last_purchase_time_us) WHERE tier > 1;

-- Loyalty points ledger; the balance on customers is its running sum.
CREATE TABLE points_transactions (
  id             INTEGER PRIMARY KEY,
  transaction_id TEXT NOT NULL UNIQUE,
  customer_row   INTEGER NOT NULL REFERENCES customers (id),
  delta          INTEGER NOT NULL,
  balance_after  INTEGER NOT NULL CHECK (balance_after >= 0),
  reason         TEXT NOT NULL,
  actor          TEXT NOT NULL,
  create_time_us INTEGER NOT NULL
) STRICT;
CREATE INDEX points_by_customer ON points_transactions (customer_row, id);
)sql";

constexpr char kV2[] = R"sql(
-- SearchCustomers(name_contains) without reading every name: each distinct
-- pair of adjacent characters of a display_name points at its customer. A
-- fragment of two or more characters has all its matches in the posting
-- list of its first pair; instr() on those rows confirms them. At 1M
-- customers this turns a ~250 ms full scan into a short index range.
-- Kept in step by customer_store.cc (InsertCustomer, UpdateCustomer), not by
-- triggers: a trigger makes every customer INSERT keep a statement journal,
-- which made bulk inserts 10x slower.
CREATE TABLE customer_name_grams (
  gram         TEXT NOT NULL,     -- two characters (code points), exact case
  customer_row INTEGER NOT NULL,  -- customers.id
  PRIMARY KEY (gram, customer_row)
) STRICT, WITHOUT ROWID;

-- Customers created before this migration. substr() and length() count
-- characters, as the store's C++ does.
INSERT OR IGNORE INTO customer_name_grams (gram, customer_row)
  WITH RECURSIVE g(customer_row, name, i) AS (
    SELECT id, display_name, 1 FROM customers WHERE length(display_name) >= 2
    UNION ALL
    SELECT customer_row, name, i + 1 FROM g WHERE i + 1 < length(name))
  SELECT substr(name, i, 2), customer_row FROM g;
)sql";

constexpr char kV3[] = R"sql(
-- ListCustomers(filter: branch_id = X AND tier = VIP), a store's VIP list:
-- without it the branch index is walked and ~9 of 10 rows are read and
-- dropped (p99 5.4 ms at 1M customers).
CREATE INDEX customers_by_branch_tier ON customers (branch_id, tier, id);
)sql";

constexpr char kV4[] = R"sql(
-- The person at a shared store token who changed the points (x-staff-id).
ALTER TABLE points_transactions ADD COLUMN staff_id TEXT NOT NULL DEFAULT '';
)sql";

}  // namespace

const db::ModuleSchema& CustomerSchema() {
  static const auto* const kSchema = new db::ModuleSchema{
      "customers",
      {
          {1, "customers and points ledger", kV1, /*legacy_version=*/1},
          {2, "customer name search", kV2, /*legacy_version=*/2},
          {3, "customer list by branch and tier", kV3, /*legacy_version=*/3},
          {4, "staff on points transactions", kV4},
      }};
  return *kSchema;
}

}  // namespace retail::customers
