-- high_priority_events.sql
-- Returns: every KMS call that changes what a key is or who may use it (deletion, disabling, policy, grants,
--   rotation, replication, aliases, imported material, custom key stores), and KMS's own DeleteKey (a deletion
--   window ended) and DeleteExpiredKeyMaterial, newest first, with the fields an on-call engineer needs: who, which
--   key, the policy or grantee, the deletion window, and whether it failed.
-- Parameters (optional, DuckDB variables): start_date, end_date (DATE, inclusive).
SELECT
    event_time,
    event_name,
    principal_arn,
    session_name,
    caller_account_id,
    coalesce(key_arn, key_ref)          AS key,
    key_account_id,
    error_code,
    pending_window_days,
    grantee_principal,
    grant_operations,
    bypass_policy_lockout_safety_check,
    policy_json,
    source_ip_address,
    event_id
FROM kms_actions
WHERE event_name IN (
        'ScheduleKeyDeletion', 'DeleteImportedKeyMaterial', 'DisableKey', 'PutKeyPolicy', 'CreateKey',
        'CreateGrant', 'RetireGrant', 'RevokeGrant', 'DisableKeyRotation', 'EnableKeyRotation', 'RotateKeyOnDemand',
        'ReplicateKey', 'UpdatePrimaryRegion',
        'CancelKeyDeletion', 'EnableKey', 'UpdateAlias', 'DeleteAlias', 'CreateAlias', 'ImportKeyMaterial',
        'CreateCustomKeyStore', 'UpdateCustomKeyStore', 'DeleteCustomKeyStore', 'ConnectCustomKeyStore', 'DisconnectCustomKeyStore',
        'DeleteKey', 'DeleteExpiredKeyMaterial')
  AND event_date BETWEEN coalesce(getvariable('start_date'), DATE '0001-01-01')
                     AND coalesce(getvariable('end_date'), DATE '9999-12-31')
ORDER BY event_time DESC, event_id;
