-- new_principals_per_key.sql
-- Returns: the (principal, key) pairs behind the report's new_principal and new_principal_for_key findings: on the
--   report day, successful cryptographic calls (Decrypt, Encrypt, GenerateDataKey*, ReEncrypt*, Sign, Verify,
--   GenerateMac, VerifyMac, DeriveSharedSecret) by a principal that made no KMS call with that key in the
--   lookback_days before it, with whether the principal made no KMS call at all in that window (principal_is_new).
--   As in the report, a call a service makes for a principal (invoked_by s3.amazonaws.com, ...) is the principal's,
--   and AWS services' own work is left out (service identities; invoked_by AWS Internal, Amazon Internal,
--   internal.amazonaws.com acting from an account of AWS's, recorded in another account's trail: in the caller's own
--   account's trail they act for its principal, e.g. SSM decrypting a user's SecureString parameters), and a
--   multi-Region key's replicas (one mrk- id in one account) are one key: a principal that used one is not new to
--   the others. The report then says more about two kinds of row: the root user's calls are its
--   root_user_activity finding, and a first Encrypt/GenerateDataKey* with another account's key is
--   encrypted_with_external_key when that account is outside the known accounts. Not applied here: the report's
--   Report:AllowedPrincipals, its minimum history (MinBaselineDays), and its reading of the key owner's copies of
--   cross-account calls as earlier calls.
-- Parameters (optional, DuckDB variables): report_date (DATE; default: the last day in the dataset),
--   lookback_days (INTEGER; default 90, Report:NewPrincipalLookbackDays).
WITH params AS (
    SELECT d, d - coalesce(getvariable('lookback_days'), 90) AS s
    FROM (SELECT coalesce(getvariable('report_date'), (SELECT max(event_date) FROM kms_actions)) AS d)),
today AS (
    SELECT principal_arn, key_arn, any_value(key_id) AS key_id, any_value(key_account_id) AS key_account_id,
           count(*) AS calls, min(event_time) AS first_call,
           string_agg(DISTINCT event_name, ',' ORDER BY event_name) AS operations
    FROM kms_actions, params
    WHERE event_date = d AND error_code IS NULL AND principal_arn IS NOT NULL
      AND coalesce(principal_kind, '') <> 'service'
      AND (coalesce(invoked_by, '') NOT IN ('AWS Internal', 'Amazon Internal', 'internal.amazonaws.com') OR caller_account_id = recipient_account_id)
      AND (event_name IN ('Decrypt', 'Encrypt', 'Sign', 'Verify', 'GenerateMac', 'VerifyMac', 'DeriveSharedSecret')
           OR event_name LIKE 'GenerateDataKey%' OR event_name LIKE 'ReEncrypt%')
    GROUP BY ALL),
before AS (
    SELECT DISTINCT principal_arn, key_arn, key_id, key_account_id FROM kms_actions, params
    WHERE event_date >= s AND event_date < d AND principal_arn IS NOT NULL)
SELECT
    t.principal_arn,
    t.key_arn,
    t.calls,
    t.operations,
    t.first_call,
    t.principal_arn NOT IN (SELECT principal_arn FROM before) AS principal_is_new
FROM today t
WHERE NOT EXISTS (SELECT 1 FROM before b WHERE b.principal_arn = t.principal_arn
                  AND (b.key_arn IS NOT DISTINCT FROM t.key_arn
                       OR (t.key_id LIKE 'mrk-%' AND b.key_id = t.key_id AND b.key_account_id = t.key_account_id)))
ORDER BY principal_is_new DESC, t.principal_arn, t.key_arn;
