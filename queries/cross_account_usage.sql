-- cross_account_usage.sql
-- Returns: who in another account used which key, per (caller account, principal, key account, key, operation):
--   calls, failed calls, first and last seen, and the services that made the calls for the principal (invoked_by,
--   e.g. s3.amazonaws.com when an outside role reads objects encrypted with the key: that is the role's use of the
--   key). AWS services' own calls are left out: service identities (principal_kind 'service') and AWS's internal
--   callers (invoked_by 'AWS Internal', 'Amazon Internal', 'internal.amazonaws.com') acting from an account of AWS's,
--   e.g. CloudTrail's own account writing a trail's log files under the key (recorded only in the key owner's trail);
--   recorded in the caller's own account's trail (caller_account_id = recipient_account_id) they act for its principal.
-- Parameters (optional, DuckDB variables): start_date, end_date (DATE, inclusive).
SELECT
    caller_account_id,
    principal_arn,
    key_account_id,
    key_arn,
    event_name,
    string_agg(DISTINCT invoked_by, ',' ORDER BY invoked_by)         AS through_services,
    count(*)                                                         AS calls,
    count(*) FILTER (WHERE error_code IS NOT NULL) AS failed_calls,
    min(event_time)                                                  AS first_seen,
    max(event_time)                                                  AS last_seen
FROM kms_actions
WHERE is_cross_account
  AND coalesce(principal_kind, '') <> 'service'
  AND (coalesce(invoked_by, '') NOT IN ('AWS Internal', 'Amazon Internal', 'internal.amazonaws.com') OR caller_account_id = recipient_account_id)
  AND event_date BETWEEN coalesce(getvariable('start_date'), DATE '0001-01-01')
                     AND coalesce(getvariable('end_date'), DATE '9999-12-31')
GROUP BY ALL
ORDER BY calls DESC, caller_account_id, principal_arn, key_arn, event_name;
