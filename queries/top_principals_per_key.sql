-- top_principals_per_key.sql
-- Returns: for every key, its five busiest principals by Decrypt and GenerateDataKey* calls, with their share of
--   the key's calls: who a key's traffic belongs to.
-- Parameters (optional, DuckDB variables): start_date, end_date (DATE, inclusive).
WITH per_pair AS (
    SELECT key_arn, principal_arn, count(*) AS calls
    FROM kms_actions
    WHERE key_arn IS NOT NULL
      AND (event_name = 'Decrypt' OR event_name LIKE 'GenerateDataKey%')
      AND event_date BETWEEN coalesce(getvariable('start_date'), DATE '0001-01-01')
                         AND coalesce(getvariable('end_date'), DATE '9999-12-31')
    GROUP BY ALL)
SELECT
    key_arn,
    principal_arn,
    calls,
    round(100.0 * calls / sum(calls) OVER (PARTITION BY key_arn), 1) AS pct_of_key,
    row_number() OVER (PARTITION BY key_arn ORDER BY calls DESC, principal_arn) AS rank
FROM per_pair
QUALIFY rank <= 5
ORDER BY key_arn, rank;
