-- baseline.sql - the work of pipeline.json written by hand for the sqlite3 shell: what a
-- skilled engineer would run, one table per step, with the same semantics as the engine:
--  * every step table holds _key (the profile id, INTEGER PRIMARY KEY) plus enrichment columns;
--  * within_last "Nd" means created_at >= now - N days (ISO-8601 text 'YYYY-MM-DDTHH:MM:SSZ',
--    the format the data is stored in, so the comparison is a plain string comparison);
--  * deduplicate keeps, per email, the latest created_at (ties: lowest key) and keeps every row
--    whose email is NULL;
--  * sum over no orders is 0, count is 0;
--  * split: a record goes to the first segment it matches; union keeps the first input's row.
-- Ports nobody reads (dedup.duplicates, tiers.low, target.held_back) are counted, not stored,
-- as the engine does for unconnected ports.
--
-- run.sh substitutes the placeholders below with cutoffs computed once from the same "now"
-- it gives the engine (STEPWISE_NOW), then runs: sqlite3 -bail DB < baseline.sql
--   {{CUTOFF_365D}} {{CUTOFF_90D}} {{CUTOFF_30D}}
-- The last statement prints one "activity|port|count" line per port.

DROP TABLE IF EXISTS b_audience;
DROP TABLE IF EXISTS b_dedup;
DROP TABLE IF EXISTS b_value;
DROP TABLE IF EXISTS b_tiers_vip;
DROP TABLE IF EXISTS b_tiers_mid;
DROP TABLE IF EXISTS b_vip_mid;
DROP TABLE IF EXISTS b_recent_signups;
DROP TABLE IF EXISTS b_recent_refunds;
DROP TABLE IF EXISTS b_target;

-- 1. audience: recent buyers in five markets who accept email.
CREATE TABLE b_audience(_key INTEGER PRIMARY KEY);
INSERT INTO b_audience
SELECT p.id FROM profiles p
WHERE p.country IN ('FR', 'DE', 'GB', 'BE', 'NL')
  AND p.email_opt_in = 1
  AND EXISTS (SELECT 1 FROM orders o
              WHERE o.profile_id = p.id AND o.created_at >= '{{CUTOFF_365D}}');

-- 2. dedup: one row per email, the most recent signup. CROSS JOIN keeps the audience as the
-- outer loop: left alone, the planner walks all of profiles through the email index to skip
-- the sort, which is several times slower.
CREATE TABLE b_dedup(_key INTEGER PRIMARY KEY);
INSERT INTO b_dedup
SELECT _key FROM (
  SELECT a._key, p.email,
         row_number() OVER (PARTITION BY p.email ORDER BY p.created_at DESC, a._key) AS rn
  FROM b_audience a CROSS JOIN profiles p ON p.id = a._key)
WHERE rn = 1 OR email IS NULL;

-- 3. value: spend and order count over the last year.
CREATE TABLE b_value(_key INTEGER PRIMARY KEY, spent_1y REAL, orders_1y INTEGER);
INSERT INTO b_value
SELECT d._key, coalesce(sum(o.amount), 0), count(o.id)
FROM b_dedup d
LEFT JOIN orders o ON o.profile_id = d._key AND o.created_at >= '{{CUTOFF_365D}}'
GROUP BY d._key;

-- 4. tiers: vip, then mid among the rest; the rest is "low" (counted below).
CREATE TABLE b_tiers_vip(_key INTEGER PRIMARY KEY, spent_1y REAL, orders_1y INTEGER);
INSERT INTO b_tiers_vip SELECT * FROM b_value WHERE spent_1y >= 500;
CREATE TABLE b_tiers_mid(_key INTEGER PRIMARY KEY, spent_1y REAL, orders_1y INTEGER);
INSERT INTO b_tiers_mid SELECT * FROM b_value WHERE spent_1y >= 100 AND NOT (spent_1y >= 500);

-- 5. vip_mid: union (a key in both inputs keeps the first input's row).
CREATE TABLE b_vip_mid(_key INTEGER PRIMARY KEY, spent_1y REAL, orders_1y INTEGER);
INSERT OR IGNORE INTO b_vip_mid SELECT * FROM b_tiers_vip;
INSERT OR IGNORE INTO b_vip_mid SELECT * FROM b_tiers_mid;

-- 6. recent_signups: profiles created in the last 30 days.
CREATE TABLE b_recent_signups(_key INTEGER PRIMARY KEY);
INSERT INTO b_recent_signups SELECT id FROM profiles WHERE created_at >= '{{CUTOFF_30D}}';

-- 7. recent_refunds: profiles with a refunded order in the last 90 days, driven from one
-- sequential pass over orders. (EXISTS per profile visits orders in email-index order, and
-- the created_at index fetches a third of the rows at random: both are several times slower;
-- the unary + keeps the planner off that index.)
CREATE TABLE b_recent_refunds(_key INTEGER PRIMARY KEY);
INSERT INTO b_recent_refunds
SELECT p.id FROM profiles p
WHERE p.id IN (SELECT profile_id FROM orders
               WHERE +created_at >= '{{CUTOFF_90D}}' AND status = 'refunded');

-- 8. target: vip_mid minus both exclusion lists; what they removed is "held_back".
CREATE TABLE b_target(_key INTEGER PRIMARY KEY, spent_1y REAL, orders_1y INTEGER);
INSERT INTO b_target
SELECT * FROM b_vip_mid v
WHERE v._key NOT IN (SELECT _key FROM b_recent_signups)
  AND v._key NOT IN (SELECT _key FROM b_recent_refunds);

-- 9. check: "send" when the target has at least 1000 people, else "default"; then every
-- port's count.
WITH n AS (SELECT
  (SELECT count(*) FROM b_audience) AS audience,
  (SELECT count(*) FROM b_dedup) AS dedup,
  (SELECT count(*) FROM b_value) AS value,
  (SELECT count(*) FROM b_tiers_vip) AS vip,
  (SELECT count(*) FROM b_tiers_mid) AS mid,
  (SELECT count(*) FROM b_vip_mid) AS vip_mid,
  (SELECT count(*) FROM b_recent_signups) AS recent_signups,
  (SELECT count(*) FROM b_recent_refunds) AS recent_refunds,
  (SELECT count(*) FROM b_target) AS target)
SELECT 'audience', 'out', audience FROM n
UNION ALL SELECT 'dedup', 'out', dedup FROM n
UNION ALL SELECT 'dedup', 'duplicates', audience - dedup FROM n
UNION ALL SELECT 'value', 'out', value FROM n
UNION ALL SELECT 'tiers', 'vip', vip FROM n
UNION ALL SELECT 'tiers', 'mid', mid FROM n
UNION ALL SELECT 'tiers', 'low', value - vip - mid FROM n
UNION ALL SELECT 'vip_mid', 'out', vip_mid FROM n
UNION ALL SELECT 'recent_signups', 'out', recent_signups FROM n
UNION ALL SELECT 'recent_refunds', 'out', recent_refunds FROM n
UNION ALL SELECT 'target', 'out', target FROM n
UNION ALL SELECT 'target', 'held_back', vip_mid - target FROM n
UNION ALL SELECT 'check', 'send', CASE WHEN target >= 1000 THEN target ELSE 0 END FROM n
UNION ALL SELECT 'check', 'default', CASE WHEN target >= 1000 THEN 0 ELSE target END FROM n;
