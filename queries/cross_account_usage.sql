-- cross_account_usage.sql
-- Returns: who in another account used which key, per (caller account, principal, key account, key, operation):
--   calls, failed calls, first and last seen. AWS services acting on a caller's behalf (identity_type AWSService
--   or invoked_by set) are left out: they are how encrypted S3/EBS/Lambda work, not a cross-account access.
-- Parameters (optional, DuckDB variables): start_date, end_date (DATE, inclusive).
SELECT
    caller_account_id,
    principal_arn,
    key_account_id,
    key_arn,
    event_name,
    count(*)                                                         AS calls,
    count(*) FILTER (WHERE error_code IS NOT NULL) AS failed_calls,
    min(event_time)                                                  AS first_seen,
    max(event_time)                                                  AS last_seen
FROM kms_actions
WHERE is_cross_account
  AND NOT is_aws_service_call
  AND event_date BETWEEN coalesce(getvariable('start_date'), DATE '0001-01-01')
                     AND coalesce(getvariable('end_date'), DATE '9999-12-31')
GROUP BY ALL
ORDER BY calls DESC, caller_account_id, principal_arn, key_arn, event_name;
