-- decrypt_by_principal_key.sql
-- Returns: Decrypt calls per (normalised principal, key) pair with failed calls and the first and last call: the
--   finest grain of "who uses which key", the unit of the report's pair baselines.
-- Only the 200 pairs with the most Decrypt calls (the LIMIT at the end; remove it for every row).
-- Parameters (optional, DuckDB variables): start_date, end_date (DATE, inclusive).
SELECT
    principal_arn,
    coalesce(key_arn, 'unresolved: ' || coalesce(key_ref, '(no key in record)')) AS key,
    count(*)                                                         AS decrypt_calls,
    count(*) FILTER (WHERE error_code IS NOT NULL) AS failed_calls,
    min(event_time)                                                  AS first_call,
    max(event_time)                                                  AS last_call
FROM kms_actions
WHERE event_name = 'Decrypt'
  AND event_date BETWEEN coalesce(getvariable('start_date'), DATE '0001-01-01')
                     AND coalesce(getvariable('end_date'), DATE '9999-12-31')
GROUP BY ALL
ORDER BY decrypt_calls DESC, principal_arn, key
LIMIT 200;
