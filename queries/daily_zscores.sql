-- daily_zscores.sql
-- Returns: for each principal, its count of successful calls of one operation (Decrypt unless told otherwise) on
--   the report day, the mean and standard deviation of the previous baseline_days days on a zero-filled calendar (a
--   day without calls counts as 0), and the z-score with the standard deviation floored at max(1, sqrt(mean)), as
--   the report computes it (without its weekday matching, and without its second look at a principal that began
--   inside the window, which it scores again against its own days before reporting it).
--   Like the report, the baseline starts no earlier than the dataset's first day: days before the data are not days
--   without calls, and AWS services' own work is left out: service identities (principal_kind 'service') and AWS's
--   internal callers (invoked_by 'AWS Internal', 'Amazon Internal', 'internal.amazonaws.com') acting from an account of
--   AWS's (recorded in another account's trail). Recorded in the caller's own account, e.g. SSM decrypting the
--   SecureString parameters a user reads, they count as its principal's.
-- Parameters (optional, DuckDB variables): report_date (DATE; default: the last day in the dataset),
--   baseline_days (INTEGER; default 28), operation (VARCHAR, a LIKE pattern on event_name; default 'Decrypt'; e.g.
--   'Sign', 'Encrypt', 'GenerateDataKey%' as the report scores them).
WITH params AS (
    SELECT d, n, greatest(d - n, (SELECT min(event_date) FROM kms_actions)) AS s
    FROM (SELECT coalesce(getvariable('report_date'), (SELECT max(event_date) FROM kms_actions)) AS d,
                 coalesce(getvariable('baseline_days'), 28) AS n)),
calendar AS (
    SELECT CAST(range AS DATE) AS day
    FROM params, range(s, d + INTERVAL 1 DAY, INTERVAL 1 DAY)),
principals AS (
    SELECT DISTINCT principal_arn FROM kms_actions, params
    WHERE event_name LIKE coalesce(getvariable('operation'), 'Decrypt') AND principal_arn IS NOT NULL AND event_date BETWEEN s AND d
      AND coalesce(principal_kind, '') <> 'service'
      AND (coalesce(invoked_by, '') NOT IN ('AWS Internal', 'Amazon Internal', 'internal.amazonaws.com') OR caller_account_id = recipient_account_id)),
counts AS (
    SELECT principal_arn, event_date AS day, count(*) AS n
    FROM kms_actions, params
    WHERE event_name LIKE coalesce(getvariable('operation'), 'Decrypt') AND error_code IS NULL AND event_date BETWEEN s AND d
      AND coalesce(principal_kind, '') <> 'service'
      AND (coalesce(invoked_by, '') NOT IN ('AWS Internal', 'Amazon Internal', 'internal.amazonaws.com') OR caller_account_id = recipient_account_id)
    GROUP BY ALL),
filled AS (
    SELECT p.principal_arn, c.day, coalesce(k.n, 0) AS n
    FROM principals p CROSS JOIN calendar c LEFT JOIN counts k ON k.principal_arn = p.principal_arn AND k.day = c.day),
scored AS (
    SELECT principal_arn,
           max(n) FILTER (WHERE day = (SELECT d FROM params))              AS today,
           avg(n) FILTER (WHERE day < (SELECT d FROM params))              AS baseline_mean,
           coalesce(stddev_samp(n) FILTER (WHERE day < (SELECT d FROM params)), 0) AS baseline_stddev
    FROM filled GROUP BY principal_arn)
SELECT
    principal_arn,
    today,
    round(baseline_mean, 3)   AS baseline_mean,
    round(baseline_stddev, 3) AS baseline_stddev,
    round((today - baseline_mean) / greatest(baseline_stddev, 1, sqrt(baseline_mean)), 2) AS z_score
FROM scored
ORDER BY z_score DESC, principal_arn;
