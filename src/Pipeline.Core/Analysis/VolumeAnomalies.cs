using System.Text.Json.Nodes;
using Pipeline.Query;
using Pipeline.Reporting;

namespace Pipeline.Analysis;

/// <summary>
/// Volume of the operations that use a key's secret material (Decrypt, GenerateDataKey* as one family, and Encrypt,
/// ReEncrypt, Sign, GenerateMac, DeriveSharedSecret) per principal, per key and per (principal, key), scored against a
/// trailing zero-filled baseline. A pair anomaly explains the principal and key anomalies of the same operation, so
/// those are not reported again.
/// </summary>
internal static class VolumeAnomalies
{
    /// <summary>The operations scored besides Decrypt and GenerateDataKey*: a signing key signing far more than it does (code or tokens signed with a stolen role), ciphertext re-encrypted in bulk.</summary>
    private static readonly string[] OtherOperations = ["Encrypt", "ReEncrypt", "Sign", "GenerateMac", "DeriveSharedSecret"];

    private const string Operation = "CASE WHEN event_name LIKE 'GenerateDataKey%' THEN 'GenerateDataKey' ELSE event_name END";

    // AWS services' own work (a service identity, e.g. CloudTrail encrypting its log files or DynamoDB its table keys,
    // and AWS's internal callers from an account of AWS's) is not a principal's use of a key: it is left out of every
    // series, as the other principal findings leave it out. A service or AWS's internal callers acting for a principal
    // (S3 reading objects for a role, SSM decrypting a user's SecureString parameters) count as that principal's calls.
    private static readonly string Scored =
        $"(event_name = 'Decrypt' OR event_name LIKE 'GenerateDataKey%' OR event_name IN ({string.Join(", ", OtherOperations.Select(o => $"'{o}'"))})) AND {PrincipalFindings.PrincipalUse}";

    private static readonly string Sql = $"""
        SELECT principal_arn, key_arn, event_date, {Operation} AS op, count(*) AS n
        FROM kms_actions
        WHERE event_date BETWEEN $1 AND $2 AND error_code IS NULL AND {Scored}
        GROUP BY ALL
        """;

    /// <summary>The SQL condition selecting one scored operation (a fixed name, never text from the data).</summary>
    private static string OperationFilter(string operation) => operation switch
    {
        "Decrypt" => "event_name = 'Decrypt'",
        "GenerateDataKey" => "event_name LIKE 'GenerateDataKey%'",
        _ when OtherOperations.Contains(operation) => $"event_name = '{operation}'",
        _ => throw new ArgumentException($"not a scored operation: {operation}", nameof(operation)),
    };

    public static async Task<IReadOnlyList<(Finding Finding, SeriesChart Chart)>> FindAsync(
        DatasetQuery q, DateOnly day, AnalysisOptions options, CancellationToken ct)
    {
        // Days before the dataset's first day have no data, which is not the same as no calls: a trail ingested for
        // ten days is compared with those ten days, not with ten days and eighteen zeros.
        var start = await DataCoverage.BaselineStartAsync(q, day, options, ct).ConfigureAwait(false);
        var series = new Dictionary<SeriesKey, Dictionary<DateOnly, long>>();
        foreach (var r in await q.QueryRowsAsync(Sql, ct, start, day).ConfigureAwait(false))
        {
            var principal = Values.Str(r[0]);
            var key = Values.Str(r[1]);
            var date = Values.Date(r[2]);
            var op = Values.Str(r[3])!;
            var n = Values.Long(r[4]);
            if (principal is not null && options.IsAllowedPrincipal(principal))
            {
                continue; // an allowed principal's calls do not make its keys anomalous either
            }

            if (principal is not null)
            {
                Add(series, new SeriesKey(op, principal, null), date, n);
            }

            if (key is not null)
            {
                Add(series, new SeriesKey(op, null, key), date, n);
            }

            if (principal is not null && key is not null)
            {
                Add(series, new SeriesKey(op, principal, key), date, n);
            }
        }

        var baselineDates = Enumerable.Range(0, day.DayNumber - start.DayNumber).Select(i => start.AddDays(i)).ToArray();
        var anomalies = new List<(SeriesKey Key, SeriesScore Score, long[] Counts)>();
        foreach (var (key, counts) in series)
        {
            var filled = SeriesStatistics.ZeroFill(counts, start, day);
            var firstDay = counts.Keys.Min();
            if (firstDay > day.AddDays(-options.MinBaselineDays))
            {
                continue; // too young to have a baseline: the new-principal findings speak for it
            }

            var score = SeriesStatistics.Score(filled[..^1], baselineDates, day, filled[^1], options);
            if (SeriesStatistics.IsAnomalous(score, options))
            {
                anomalies.Add((key, score, filled));
            }
        }

        // A series whose first call in the window came after the window's start may have begun then: the days before it
        // existed are no more days without calls than those before the dataset's (a role a deployment made ten days ago,
        // compared with 28 days of which 18 are zeros, looks like it grew). Only the few anomalous ones are looked up.
        var ownStart = new Dictionary<SeriesKey, DateOnly>();
        for (var i = anomalies.Count - 1; i >= 0; i--)
        {
            var (key, _, filled) = anomalies[i];
            var firstInWindow = series[key].Keys.Min();
            if (firstInWindow <= start || await FirstCallAsync(q, key, ct).ConfigureAwait(false) is not { } first || first <= start)
            {
                continue;
            }

            var skip = first.DayNumber - start.DayNumber;
            var own = SeriesStatistics.Score(filled[skip..^1], baselineDates[skip..], day, filled[^1], options);
            if (SeriesStatistics.IsAnomalous(own, options))
            {
                anomalies[i] = (key, own, filled);
                ownStart[key] = first;
            }
            else
            {
                anomalies.RemoveAt(i);
            }
        }

        // Report pairs first; a principal or key anomaly of the same operation that a reported pair explains is dropped.
        var pairs = anomalies.Where(a => a.Key.Principal is not null && a.Key.Key is not null).ToList();
        var explained = pairs.SelectMany(p => new[] { new SeriesKey(p.Key.Operation, p.Key.Principal, null), new SeriesKey(p.Key.Operation, null, p.Key.Key) }).ToHashSet();

        // So is one that only exists because of pairs too young to score: a principal starting to use a new key is a
        // new_principal_for_key finding, not a volume anomaly of the principal.
        var youngOnDay = new Dictionary<SeriesKey, long>();
        foreach (var (key, counts) in series)
        {
            if (key.Principal is not null && key.Key is not null && counts.Keys.Min() > day.AddDays(-options.MinBaselineDays) && counts.TryGetValue(day, out var n))
            {
                youngOnDay[new SeriesKey(key.Operation, key.Principal, null)] = youngOnDay.GetValueOrDefault(new SeriesKey(key.Operation, key.Principal, null)) + n;
                youngOnDay[new SeriesKey(key.Operation, null, key.Key)] = youngOnDay.GetValueOrDefault(new SeriesKey(key.Operation, null, key.Key)) + n;
            }
        }

        foreach (var a in anomalies.Where(a => (a.Key.Principal is null || a.Key.Key is null) && youngOnDay.ContainsKey(a.Key)))
        {
            var rest = SeriesStatistics.Score(a.Counts[..^1], baselineDates, day, a.Score.Count - youngOnDay[a.Key], options);
            if (!SeriesStatistics.IsAnomalous(rest, options))
            {
                explained.Add(a.Key);
            }
        }

        var reported = pairs.Concat(anomalies.Where(a => (a.Key.Principal is null || a.Key.Key is null) && !explained.Contains(a.Key)))
            .OrderByDescending(a => a.Score.Z)
            .ToList();

        var results = new List<(Finding, SeriesChart)>();
        foreach (var (key, score, counts) in reported)
        {
            var samples = await SamplesAsync(q, day, key, ct).ConfigureAwait(false);
            var recurring = await RecurringMonthlyAsync(
                q, day, $"error_code IS NULL AND {OperationFilter(key.Operation)} AND {PrincipalFindings.PrincipalUse}", key.Principal, key.Key, score.Count, score.Mean, ct).ConfigureAwait(false);
            var finding = Build(
                key,
                score,
                $"{key.Describe()}: {Counted.Of(score.Count, "call")} vs {score.Mean:F1}/day {Basis(score, day)}baseline (z = {score.Z:F1})",
                ownStart.GetValueOrDefault(key, start),
                day,
                samples,
                new JsonObject { ["dimension"] = key.Principal is not null && key.Key is not null ? "principal_key" : key.Principal is not null ? "principal" : "key" },
                options);
            finding = AsMonthlyRun(finding, recurring, "call");

            results.Add((finding, new SeriesChart
            {
                Title = key.Describe(),
                FindingIndex = -1,
                Points = counts.Select((c, i) => new SeriesPoint(start.AddDays(i), c)).ToList(),
                BaselineMean = score.Mean,
                BaselineStdDev = score.FlooredStdDev,
                BandZ = options.ZThreshold,
            }));
        }

        results.AddRange(await HourlyBurstsAsync(q, day, start, baselineDates, reported.Select(r => r.Key).ToList(), options, ct).ConfigureAwait(false));
        return results;
    }

    // Only pairs whose busiest hour on the report day reaches MinCount can be anomalous ($3): the others' rows are
    // not returned (with many quiet pairs they are millions).
    private static readonly string HourlySql = $"""
        WITH calls AS (
            SELECT principal_arn, key_arn, {Operation} AS op, event_date, hour(event_time) AS hr
            FROM kms_actions
            WHERE event_date BETWEEN $1 AND $2 AND error_code IS NULL AND principal_arn IS NOT NULL AND key_arn IS NOT NULL
              AND {Scored}),
        candidates AS (
            SELECT DISTINCT principal_arn, key_arn, op FROM calls WHERE event_date = $2
            GROUP BY principal_arn, key_arn, op, hr HAVING count(*) >= $3),
        hourly AS (
            SELECT principal_arn, key_arn, op, event_date, hr, count(*) AS n
            FROM calls SEMI JOIN candidates USING (principal_arn, key_arn, op)
            GROUP BY ALL)
        -- the busiest hour, and of hours as busy the earliest: the finding names it, the same in every run
        SELECT principal_arn, key_arn, op, event_date, max(n), arg_max(hr, n * 100 + 99 - hr) FROM hourly GROUP BY ALL
        """;

    /// <summary>
    /// A (principal, key) pair's busiest hour of the day against its busiest hours on the baseline days: a burst packed
    /// into an hour (data pulled in one go) can leave the day's total within its usual spread. Comparing busiest hours,
    /// whenever they fell, keeps a batch job that starts an hour later than usual quiet. Pairs whose principal or key
    /// already has a daily finding of the same operation are left to it.
    /// </summary>
    private static async Task<List<(Finding, SeriesChart)>> HourlyBurstsAsync(
        DatasetQuery q, DateOnly day, DateOnly start, DateOnly[] baselineDates, List<SeriesKey> daily, AnalysisOptions options, CancellationToken ct)
    {
        var peaks = new Dictionary<SeriesKey, Dictionary<DateOnly, (long Peak, int Hour)>>();
        foreach (var r in await q.QueryRowsAsync(HourlySql, ct, start, day, options.MinCount).ConfigureAwait(false))
        {
            var principal = Values.Str(r[0])!;
            if (options.IsAllowedPrincipal(principal))
            {
                continue;
            }

            var key = new SeriesKey(Values.Str(r[2])!, principal, Values.Str(r[1]));
            if (!peaks.TryGetValue(key, out var byDay))
            {
                peaks[key] = byDay = [];
            }

            byDay[Values.Date(r[3])] = (Values.Long(r[4]), (int)Values.Long(r[5]));
        }

        var results = new List<(Finding, SeriesChart)>();
        foreach (var (key, byDay) in peaks.OrderBy(p => p.Key.Principal, StringComparer.Ordinal).ThenBy(p => p.Key.Key, StringComparer.Ordinal).ThenBy(p => p.Key.Operation, StringComparer.Ordinal))
        {
            if (!byDay.TryGetValue(day, out var today) || byDay.Keys.Min() > day.AddDays(-options.MinBaselineDays)
                || daily.Any(d => d.Operation == key.Operation && (d.Principal == key.Principal || d.Key == key.Key)))
            {
                continue; // not active on the day, too young to have a baseline, or already reported by the day's count
            }

            var filled = SeriesStatistics.ZeroFill(byDay.ToDictionary(p => p.Key, p => p.Value.Peak), start, day);
            var score = SeriesStatistics.Score(filled[..^1], baselineDates, day, filled[^1], options);
            if (!SeriesStatistics.IsAnomalous(score, options))
            {
                continue;
            }

            var from = Values.ToUtcDateTime(day).AddHours(today.Hour);
            var sample = await q.QueryRowsAsync(
                $"""
                SELECT event_id, event_time, caller_account_id, key_account_id, count(*) OVER () AS day_calls
                FROM kms_actions
                WHERE event_date = $1 AND error_code IS NULL AND {OperationFilter(key.Operation)} AND {PrincipalFindings.PrincipalUse}
                  AND principal_arn = $2 AND key_arn = $3
                ORDER BY event_time, event_id
                """,
                ct,
                day,
                key.Principal,
                key.Key).ConfigureAwait(false);
            var inHour = sample.Where(s => Values.Utc(s[1]) is { } t && t >= from && t < from.AddHours(1)).ToList();
            var finding = Build(
                key,
                score,
                $"{key.Describe()}: {Counted.Of(score.Count, "call")} between {today.Hour:00}:00 and {(today.Hour + 1) % 24:00}:00 UTC vs a busiest hour of {score.Mean:F1} on {Basis(score, day)}baseline days (z = {score.Z:F1}; {Counted.Of(sample.Count, "call")} in the day)",
                start,
                day,
                (inHour.Take(10).Select(s => Values.Str(s[0])!).ToList(), inHour.Count > 0 ? Values.Utc(inHour[0][1]) : null, inHour.Count > 0 ? Values.Utc(inHour[^1][1]) : null,
                    inHour.Count > 0 ? Values.Str(inHour[0][2]) : null, inHour.Count > 0 ? Values.Str(inHour[0][3]) : null),
                new JsonObject { ["dimension"] = "principal_key", ["granularity"] = "busiest_hour", ["hour_utc"] = today.Hour, ["day_calls"] = sample.Count },
                options);
            results.Add((finding, new SeriesChart
            {
                Title = key.Describe() + ", busiest hour of each day",
                FindingIndex = -1,
                Points = filled.Select((c, i) => new SeriesPoint(start.AddDays(i), c)).ToList(),
                BaselineMean = score.Mean,
                BaselineStdDev = score.FlooredStdDev,
                BandZ = options.ZThreshold,
            }));
        }

        return results;
    }

    private static Finding Build(
        SeriesKey key, SeriesScore score, string title, DateOnly start, DateOnly day,
        (IReadOnlyList<string> EventIds, DateTime? First, DateTime? Last, string? CallerAccount, string? KeyAccount) samples, JsonObject details, AnalysisOptions options)
    {
        var ratio = score.Mean <= 0 ? double.PositiveInfinity : score.Count / score.Mean;
        details["baseline_start"] = start.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        details["baseline_end"] = day.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        details["baseline_points"] = score.BaselinePoints;
        details["weekday_matched"] = score.WeekdayMatched;
        details["floored_stddev"] = Math.Round(score.FlooredStdDev, 3);
        return new Finding
        {
            Kind = key.Operation switch
            {
                "Decrypt" => FindingKind.DecryptVolumeAnomaly,
                "GenerateDataKey" => FindingKind.GenerateDataKeyVolumeAnomaly,
                _ => FindingKind.CryptoVolumeAnomaly,
            },
            Severity = score.Z >= options.ZThreshold * 2 || ratio >= 10 ? Severity.High : Severity.Medium,
            Title = title,
            Principal = key.Principal,
            KeyArn = key.Key,
            CallerAccountId = samples.CallerAccount,
            KeyAccountId = samples.KeyAccount,
            EventName = key.Operation == "GenerateDataKey" ? "GenerateDataKey*" : key.Operation,
            Count = score.Count,
            BaselineMean = Math.Round(score.Mean, 3),
            BaselineStdDev = Math.Round(score.StdDev, 3),
            ZScore = Math.Round(score.Z, 2),
            PValue = score.PValue,
            FirstSeen = samples.First,
            LastSeen = samples.Last,
            Details = details,
            EventIds = samples.EventIds,
        };
    }

    /// <summary>
    /// The day, a month before <paramref name="day"/> (the same day of the month, a day either side, or the month's last
    /// day when <paramref name="day"/> is the last of its month), on which the calls matching <paramref name="filter"/>
    /// (SQL over <c>kms_actions</c>) of the principal and key given (null: any) rose above the baseline's
    /// <paramref name="mean"/> by at least half as much as the report day's <paramref name="calls"/> do: the previous run
    /// of a monthly job; null when there is none. (A series' ordinary level a month ago is no earlier run: 1,000 calls a
    /// day then do not make a day of 1,900 routine.)
    /// </summary>
    internal static async Task<(DateOnly Date, long Calls)?> RecurringMonthlyAsync(
        DatasetQuery q, DateOnly day, string filter, string? principal, string? key, long calls, double mean, CancellationToken ct)
    {
        var before = day.AddMonths(-1);
        var candidates = new List<DateOnly> { before.AddDays(-1), before, before.AddDays(1) };
        if (day.AddDays(1).Month != day.Month)
        {
            candidates.Add(new DateOnly(before.Year, before.Month, DateTime.DaysInMonth(before.Year, before.Month)));
        }

        var rows = await q.QueryRowsAsync(
            $"""
            SELECT event_date, count(*) AS n FROM kms_actions
            WHERE event_date BETWEEN $1 AND $2 AND {filter} AND ($3 IS NULL OR principal_arn = $3) AND ($4 IS NULL OR key_arn = $4)
            GROUP BY 1 ORDER BY n DESC, event_date
            """,
            ct,
            candidates.Min(),
            candidates.Max(),
            principal,
            key).ConfigureAwait(false);
        foreach (var r in rows)
        {
            var date = Values.Date(r[0]);
            var n = Values.Long(r[1]);
            if (candidates.Contains(date) && (n - mean) * 2 >= calls - mean)
            {
                return (date, n);
            }
        }

        return null;
    }

    /// <summary>
    /// A finding whose spike came a month before too (<see cref="RecurringMonthlyAsync"/>), e.g. a month-end batch, which
    /// is an anomaly against any 28-day baseline every month: kept, but low, with the earlier run in its details and title.
    /// </summary>
    internal static Finding AsMonthlyRun(Finding finding, (DateOnly Date, long Calls)? recurring, string unit)
    {
        if (recurring is not { } earlier)
        {
            return finding;
        }

        var on = earlier.Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        finding.Details!["recurring_monthly"] = new JsonObject { ["date"] = on, ["calls"] = earlier.Calls };
        return finding with { Severity = Severity.Low, Title = $"{finding.Title}; as on {on} ({Counted.Of(earlier.Calls, unit)}): a monthly run?" };
    }

    /// <summary>The day of a series' first successful call in the whole dataset (its first day of existence), or null.</summary>
    private static async Task<DateOnly?> FirstCallAsync(DatasetQuery q, SeriesKey key, CancellationToken ct) =>
        await q.QueryScalarAsync(
            $"""
            SELECT min(event_date) FROM kms_actions
            WHERE error_code IS NULL AND {OperationFilter(key.Operation)} AND {PrincipalFindings.PrincipalUse}
              AND ($1 IS NULL OR principal_arn = $1) AND ($2 IS NULL OR key_arn = $2)
            """,
            ct,
            key.Principal,
            key.Key).ConfigureAwait(false) is { } v ? Values.Date(v) : null;

    private static async Task<(IReadOnlyList<string> EventIds, DateTime? First, DateTime? Last, string? CallerAccount, string? KeyAccount)> SamplesAsync(
        DatasetQuery q, DateOnly day, SeriesKey key, CancellationToken ct)
    {
        var opFilter = OperationFilter(key.Operation);
        var rows = await q.QueryRowsAsync(
            $"""
            SELECT event_id, event_time, caller_account_id, key_account_id,
                   min(event_time) OVER () AS first_seen, max(event_time) OVER () AS last_seen
            FROM kms_actions
            WHERE event_date = $1 AND error_code IS NULL AND {opFilter} AND {PrincipalFindings.PrincipalUse}
              AND ($2 IS NULL OR principal_arn = $2) AND ($3 IS NULL OR key_arn = $3)
            ORDER BY event_time, event_id
            LIMIT 10
            """,
            ct,
            day,
            key.Principal,
            key.Key).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return ([], null, null, null, null);
        }

        return (rows.Select(r => Values.Str(r[0])!).ToList(), Values.Utc(rows[0][4]), Values.Utc(rows[0][5]), Values.Str(rows[0][2]), Values.Str(rows[0][3]));
    }

    /// <summary>"weekday " or "weekend " when the baseline held only days of the report day's kind, so a title's mean matches its z.</summary>
    internal static string Basis(SeriesScore score, DateOnly day) =>
        !score.WeekdayMatched ? string.Empty : SeriesStatistics.IsWeekend(day) ? "weekend " : "weekday ";

    private static void Add(Dictionary<SeriesKey, Dictionary<DateOnly, long>> series, SeriesKey key, DateOnly date, long n)
    {
        if (!series.TryGetValue(key, out var counts))
        {
            counts = [];
            series[key] = counts;
        }

        counts[date] = counts.GetValueOrDefault(date) + n;
    }
}
