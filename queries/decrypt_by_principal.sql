-- decrypt_by_principal.sql
-- Returns: one row per normalised principal (assumed-role sessions folded into their role, AWS services as
--   service:<name>) with its Decrypt calls: total, failed, distinct keys, first and last call, over the chosen days.
-- Only the 50 principals with the most Decrypt calls (the LIMIT at the end; remove it for every row).
-- Parameters (optional, DuckDB variables): start_date, end_date (DATE, inclusive). Default: the whole dataset.
--   SET VARIABLE start_date = DATE '2026-01-01'; SET VARIABLE end_date = DATE '2026-01-31';
-- Counts actions, not delivered copies (kms_actions): a cross-account call delivered to two accounts counts once, under
--   the caller's principal, not also under the account-only copy's arn:aws:iam::<account>:root.
SELECT
    principal_arn,
    any_value(principal_kind)                                  AS principal_kind,
    count(*)                                                   AS decrypt_calls,
    count(*) FILTER (WHERE error_code IS NOT NULL) AS failed_calls,
    count(DISTINCT key_arn)                                    AS distinct_keys,
    min(event_time)                                            AS first_call,
    max(event_time)                                            AS last_call
FROM kms_actions
WHERE event_name = 'Decrypt'
  AND event_date BETWEEN coalesce(getvariable('start_date'), DATE '0001-01-01')
                     AND coalesce(getvariable('end_date'), DATE '9999-12-31')
GROUP BY principal_arn
ORDER BY decrypt_calls DESC, principal_arn
LIMIT 50;
