-- daily_decrypts.sql
-- Returns: Decrypt and GenerateDataKey* calls per UTC day across the dataset, with the distinct principals and keys
--   that made them: the shape of normal usage, and the first chart to look at when a report flags a day. A day of
--   the dataset without such calls is a row of zeros.
-- Parameters (optional, DuckDB variables): start_date, end_date (DATE, inclusive).
SELECT
    event_date,
    count(*) FILTER (WHERE event_name = 'Decrypt')                 AS decrypt_calls,
    count(*) FILTER (WHERE event_name LIKE 'GenerateDataKey%')     AS generate_data_key_calls,
    count(DISTINCT principal_arn) FILTER (WHERE event_name = 'Decrypt' OR event_name LIKE 'GenerateDataKey%') AS principals,
    count(DISTINCT key_arn) FILTER (WHERE event_name = 'Decrypt' OR event_name LIKE 'GenerateDataKey%')       AS keys
FROM kms_actions
WHERE event_date BETWEEN coalesce(getvariable('start_date'), DATE '0001-01-01')
                     AND coalesce(getvariable('end_date'), DATE '9999-12-31')
GROUP BY event_date
ORDER BY event_date;
