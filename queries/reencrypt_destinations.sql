-- reencrypt_destinations.sql
-- Returns: where ReEncrypt moved ciphertext, per (principal, source key, destination key): calls, failed calls,
--   first and last seen, and whether the destination key belongs to another account than the source key. Data
--   re-encrypted under a key its owner does not hold is how ransomware uses KMS; sort by crosses_account to see it.
--   The destination is requestParameters.destinationKeyId when it is a key ARN (a key of another account can only be
--   named by ARN, of the key or of an alias), else the key in resources[] that is not the source, else the alias ARN,
--   id or alias name as the caller wrote it.
-- Parameters (optional, DuckDB variables): start_date, end_date (DATE, inclusive).
WITH reencrypts AS (
    SELECT
        *,
        json_extract_string(request_parameters_json, '$.destinationKeyId') AS requested_destination,
        list_filter(
            list_concat(json_extract_string(resources_json, '$[*].ARN'), json_extract_string(resources_json, '$[*].arn')),
            a -> a LIKE 'arn:%:key/%' AND a IS DISTINCT FROM key_arn)[1]                  AS resource_destination
    FROM kms_actions
    WHERE event_name = 'ReEncrypt'
      AND event_date BETWEEN coalesce(getvariable('start_date'), DATE '0001-01-01')
                         AND coalesce(getvariable('end_date'), DATE '9999-12-31')
), destinations AS (
    SELECT
        *,
        CASE WHEN requested_destination LIKE 'arn:%:key/%' THEN requested_destination
             ELSE coalesce(resource_destination, requested_destination) END                AS destination_key
    FROM reencrypts
)
SELECT
    principal_arn,
    caller_account_id,
    coalesce(key_arn, key_ref)                                                             AS source_key,
    key_account_id                                                                         AS source_account_id,
    destination_key,
    CASE WHEN destination_key LIKE 'arn:%' THEN split_part(destination_key, ':', 5) END   AS destination_account_id,
    coalesce(destination_key LIKE 'arn:%' AND split_part(destination_key, ':', 5) IS DISTINCT FROM key_account_id, false)
                                                                                           AS crosses_account,
    count(*)                                                                               AS calls,
    count(*) FILTER (WHERE error_code IS NOT NULL)                                         AS failed_calls,
    min(event_time)                                                                        AS first_seen,
    max(event_time)                                                                        AS last_seen
FROM destinations
GROUP BY ALL
ORDER BY crosses_account DESC, calls DESC, principal_arn, source_key, destination_key;
