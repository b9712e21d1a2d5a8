-- new_principals_per_key.sql
-- Returns: (principal, key) pairs whose first call in the dataset is on or after the report day, i.e. principals
--   new to a key, with whether the principal itself is new: the "new principal" findings, as SQL.
-- Parameters (optional, DuckDB variables): report_date (DATE; default: the last day in the dataset).
WITH day AS (
    SELECT coalesce(getvariable('report_date'), (SELECT max(event_date) FROM kms_actions)) AS d),
first_pair AS (
    SELECT principal_arn, key_arn, min(event_date) AS first_day
    FROM kms_actions WHERE principal_arn IS NOT NULL AND key_arn IS NOT NULL GROUP BY ALL),
first_principal AS (
    SELECT principal_arn, min(event_date) AS first_day FROM kms_actions WHERE principal_arn IS NOT NULL GROUP BY ALL)
SELECT
    p.principal_arn,
    p.key_arn,
    p.first_day,
    f.first_day >= (SELECT d FROM day) AS principal_is_new
FROM first_pair p JOIN first_principal f USING (principal_arn)
WHERE p.first_day >= (SELECT d FROM day)
ORDER BY p.first_day, p.principal_arn, p.key_arn;
