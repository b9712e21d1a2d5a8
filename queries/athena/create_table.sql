-- athena/create_table.sql  (Amazon Athena / Trino DDL, not DuckDB)
-- Creates an external table over the same dataset on S3 with partition projection on event_date, so Athena
-- queries need no MSCK REPAIR. Replace s3://YOUR-BUCKET/YOUR-PREFIX with the worker's output location.
-- Rows are stored once per event except after a forced re-ingest or a crash before the ledger marker; for exact
--   counts read the kms_actions view below (one row per action), as the queries in this folder do.
CREATE EXTERNAL TABLE IF NOT EXISTS kms_events (
    event_id string, event_time timestamp, event_name string, event_type string, event_version string,
    event_category string, aws_region string, source_ip_address string, user_agent string, error_code string,
    error_message string, read_only boolean, management_event boolean, request_id string,
    recipient_account_id string, shared_event_id string, dedupe_key string, vpc_endpoint_id string,
    identity_type string, identity_arn string, identity_principal_id string, identity_user_name string,
    access_key_id string, caller_account_id string, invoked_by string, principal_arn string,
    principal_kind string, session_name string, session_issuer_arn string, key_arn string, key_id string,
    key_account_id string, key_region string, key_ref string, encryption_algorithm string, key_spec string,
    encryption_context_json string, grantee_principal string, grant_operations string, policy_json string,
    pending_window_days int, bypass_policy_lockout_safety_check boolean, is_cross_account boolean,
    is_aws_service_call boolean, request_parameters_json string, response_elements_json string,
    additional_event_data_json string, resources_json string, src_bucket string, src_key string,
    src_record_index int, ingest_time timestamp)
PARTITIONED BY (event_date date)
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/YOUR-PREFIX/kms_events/'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.event_date.type' = 'date',
    'projection.event_date.format' = 'yyyy-MM-dd',
    'projection.event_date.range' = '2020-01-01,NOW',
    'projection.event_date.interval' = '1',
    'projection.event_date.interval.unit' = 'DAYS',
    'storage.location.template' = 's3://YOUR-BUCKET/YOUR-PREFIX/kms_events/event_date=${event_date}/');

-- One row per action, as the DuckDB files in queries/ read it: a call with a key of another account of the
-- organization is delivered to both accounts' trails with one shared_event_id; the key owner's copy names only the
-- caller's account (principal_kind 'account'), so the copy that names the caller is kept; when that copy names no key
-- (no resources[] and no keyId, as a Decrypt may be logged), the key columns come from another copy's key ARN. Network
-- activity events (a second record of a call made through a VPC endpoint) are not actions, except calls the
-- endpoint's policy denied.
CREATE OR REPLACE VIEW kms_actions AS
SELECT
    event_id, event_time, event_name, event_type, event_version, event_category, aws_region, source_ip_address,
    user_agent, error_code, error_message, read_only, management_event, request_id, recipient_account_id,
    shared_event_id, dedupe_key, vpc_endpoint_id, identity_type, identity_arn, identity_principal_id,
    identity_user_name, access_key_id, caller_account_id, invoked_by, principal_arn, principal_kind,
    session_name, session_issuer_arn,
    coalesce(key_arn, copy_key_arn) AS key_arn,
    CASE WHEN key_arn IS NULL AND copy_key_arn IS NOT NULL THEN split_part(split_part(copy_key_arn, ':', 6), '/', 2) ELSE key_id END AS key_id,
    CASE WHEN key_arn IS NULL AND copy_key_arn IS NOT NULL THEN split_part(copy_key_arn, ':', 5) ELSE key_account_id END AS key_account_id,
    CASE WHEN key_arn IS NULL AND copy_key_arn IS NOT NULL THEN split_part(copy_key_arn, ':', 4) ELSE key_region END AS key_region,
    key_ref, encryption_algorithm, key_spec, encryption_context_json, grantee_principal, grant_operations,
    policy_json, pending_window_days, bypass_policy_lockout_safety_check,
    CASE WHEN key_arn IS NULL AND copy_key_arn IS NOT NULL
         THEN coalesce(caller_account_id <> split_part(copy_key_arn, ':', 5), false) ELSE is_cross_account END AS is_cross_account,
    is_aws_service_call, request_parameters_json, response_elements_json, additional_event_data_json,
    resources_json, src_bucket, src_key, src_record_index, ingest_time, event_date
FROM (
    SELECT *, row_number() OVER (
        PARTITION BY event_date, dedupe_key, event_name, CASE WHEN shared_event_id IS NULL THEN event_time END,
                     CASE WHEN shared_event_id IS NULL THEN recipient_account_id END
        ORDER BY CASE WHEN principal_kind = 'account' THEN 1 ELSE 0 END, CASE WHEN principal_arn IS NULL THEN 1 ELSE 0 END, event_id) AS action_rn,
        max(key_arn) OVER (
        PARTITION BY event_date, dedupe_key, event_name, CASE WHEN shared_event_id IS NULL THEN event_time END,
                     CASE WHEN shared_event_id IS NULL THEN recipient_account_id END) AS copy_key_arn
    FROM kms_events
    WHERE event_category IS DISTINCT FROM 'NetworkActivity' OR error_code = 'VpceAccessDenied')
WHERE action_rn = 1;
