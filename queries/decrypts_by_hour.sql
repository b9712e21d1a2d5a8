-- decrypts_by_hour.sql
-- Returns: Decrypt and GenerateDataKey* calls per UTC day and hour, with distinct principals: where a burst sits
--   inside a flagged day.
-- Parameters (optional, DuckDB variables): start_date, end_date (DATE, inclusive).
SELECT
    event_date,
    hour(event_time)                                                                AS hour_utc,
    count(*) FILTER (WHERE event_name = 'Decrypt')                AS decrypt_calls,
    count(*) FILTER (WHERE event_name LIKE 'GenerateDataKey%')    AS generate_data_key_calls,
    count(DISTINCT principal_arn)                                                   AS principals
FROM kms_actions
WHERE (event_name = 'Decrypt' OR event_name LIKE 'GenerateDataKey%')
  AND event_date BETWEEN coalesce(getvariable('start_date'), DATE '0001-01-01')
                     AND coalesce(getvariable('end_date'), DATE '9999-12-31')
GROUP BY ALL
ORDER BY event_date, hour_utc;
