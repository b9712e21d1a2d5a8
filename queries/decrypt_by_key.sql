-- decrypt_by_key.sql
-- Returns: one row per KMS key (key_arn; calls whose key is only known by alias are grouped under key_ref) with
--   its Decrypt calls, distinct principals and distinct caller accounts, over the chosen days.
-- Only the 50 keys with the most Decrypt calls (the LIMIT at the end; remove it for every row).
-- Parameters (optional, DuckDB variables): start_date, end_date (DATE, inclusive). Default: the whole dataset.
-- Counts actions, not delivered copies (kms_actions, dedupe_key).
SELECT
    coalesce(key_arn, 'unresolved: ' || coalesce(key_ref, '(no key in record)')) AS key,
    any_value(key_account_id)                                  AS key_account_id,
    count(*)                                                   AS decrypt_calls,
    count(DISTINCT principal_arn)                              AS distinct_principals,
    count(DISTINCT caller_account_id)                          AS caller_accounts
FROM kms_actions
WHERE event_name = 'Decrypt'
  AND event_date BETWEEN coalesce(getvariable('start_date'), DATE '0001-01-01')
                     AND coalesce(getvariable('end_date'), DATE '9999-12-31')
GROUP BY 1
ORDER BY decrypt_calls DESC, key
LIMIT 50;
