-- failed_calls_by_error.sql
-- Returns: failed KMS calls grouped by error code, operation and principal, most frequent first: the first place
--   to look for misconfigured key policies and for someone probing keys they may not use.
-- Parameters (optional, DuckDB variables): start_date, end_date (DATE, inclusive).
SELECT
    error_code,
    event_name,
    principal_arn,
    count(*)                             AS calls,
    count(DISTINCT coalesce(key_arn, key_ref)) AS keys,
    min(event_time)                      AS first_seen,
    max(event_time)                      AS last_seen,
    any_value(error_message)             AS example_message
FROM kms_actions
WHERE error_code IS NOT NULL
  AND event_date BETWEEN coalesce(getvariable('start_date'), DATE '0001-01-01')
                     AND coalesce(getvariable('end_date'), DATE '9999-12-31')
GROUP BY error_code, event_name, principal_arn
ORDER BY calls DESC, error_code, event_name, principal_arn;
