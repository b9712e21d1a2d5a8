using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Ingest;
using Pipeline.Query;
using Pipeline.Reporting;
using Pipeline.Sink;

namespace Pipeline.Analysis;

/// <summary>
/// A trail account whose log files for the day arrived but held no KMS record, although KMS records arrived on most
/// baseline days: usually a trail excluding KMS events (<c>ExcludeManagementEventSources</c>), not silence. The
/// dataset keeps only KMS rows, so this reads the ledger, which records every ingested object with its row count.
/// </summary>
internal static partial class CoverageGaps
{
    /// <summary>
    /// How far before the baseline window a marker file may have been written and still hold a delivery inside it: a
    /// log file is ingested after CloudTrail delivers it, so only a clock set back could write its marker earlier.
    /// </summary>
    private static readonly TimeSpan ClockMargin = TimeSpan.FromDays(2);

    /// <summary>The share of the baseline days an account could have had KMS events on that it must have had them on.</summary>
    private const double SteadyShare = 0.9;

    /// <summary>The mean daily KMS events below which a day without any can be chance (P(0) = e^-7 ≈ 0.001).</summary>
    private const double SteadyMinMean = 7;

    public static async Task<IReadOnlyList<Finding>> FindAsync(DatasetQuery q, DateOnly day, AnalysisOptions options, CancellationToken ct) =>
        await FindAsync(q, day, options, await TallyAsync(q.Root, day.AddDays(-options.BaselineDays), day, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    /// <param name="q">The dataset.</param>
    /// <param name="day">The report day.</param>
    /// <param name="options">Thresholds.</param>
    /// <param name="tally">The ledger's deliveries from <see cref="AnalysisOptions.BaselineDays"/> before <paramref name="day"/> to it (<see cref="TallyAsync"/>).</param>
    /// <param name="ct">Cancellation.</param>
    /// <remarks>
    /// Nothing is said of a day the data does not cover to its end (<see cref="DataCoverage.Covers"/>): the last day of
    /// a folder synced or ingested in the morning holds a few after-midnight files per account, most of them without a
    /// KMS record, and an account whose files for the rest of the day are not there yet is not silent.
    /// </remarks>
    public static async Task<IReadOnlyList<Finding>> FindAsync(DatasetQuery q, DateOnly day, AnalysisOptions options, LedgerTally tally, CancellationToken ct)
    {
        var dataEnd = DataCoverage.Latest(await DataCoverage.LastEventTimeAsync(q, ct).ConfigureAwait(false), tally.LastDelivery);
        if (!DataCoverage.Covers(day, dataEnd))
        {
            return [];
        }

        var perDay = tally.PerDay;
        var gaps = Gaps(perDay, day, options);
        var hasLedger = Directory.Exists(Path.Combine(q.Root, DatasetLayout.LedgerDirectory));
        gaps.AddRange(await SilentAccountsAsync(q, day, options, perDay, hasLedger, gaps.Select(g => g.CallerAccountId!).ToHashSet(StringComparer.Ordinal), ct).ConfigureAwait(false));
        return gaps;
    }

    /// <summary>
    /// A trail account with KMS events on most baseline days and none stored for the report day, whose log files (by
    /// the ledger) did not arrive either, or whose arrival the dataset cannot tell (no ledger, e.g. a copy of an S3
    /// dataset without <c>_ledger/</c>): its trail stopped, or its delivery or ingestion stalled. Only when other
    /// accounts have events that day (otherwise the dataset-wide gap below says it once).
    /// </summary>
    private static async Task<List<Finding>> SilentAccountsAsync(
        DatasetQuery q, DateOnly day, AnalysisOptions options, Dictionary<(string Account, DateOnly Date), (int Files, long Rows)> delivered, bool hasLedger,
        HashSet<string> reported, CancellationToken ct)
    {
        var rows = await q.QueryRowsAsync(
            """
            SELECT recipient_account_id, event_date, count(*) FROM kms_events_all
            WHERE event_date BETWEEN $1 AND $2 AND recipient_account_id IS NOT NULL GROUP BY 1, 2
            """,
            ct,
            day.AddDays(-options.BaselineDays),
            day).ConfigureAwait(false);
        var perDay = rows.Select(r => (Account: Values.Str(r[0])!, Date: Values.Date(r[1]), Count: Values.Long(r[2]))).ToList();
        if (!perDay.Any(p => p.Date == day))
        {
            return [];
        }

        var findings = new List<Finding>();
        foreach (var account in perDay.Select(p => p.Account).Distinct().Order(StringComparer.Ordinal))
        {
            var days = perDay.Where(p => p.Account == account).ToList();
            var first = days.Min(p => p.Date);
            var withKms = days.Count(p => p.Date < day);
            var files = delivered.GetValueOrDefault((account, day)).Files;
            var calendar = Enumerable.Range(first.DayNumber, day.DayNumber - first.DayNumber).Select(DateOnly.FromDayNumber);
            if (reported.Contains(account) || days.Any(p => p.Date == day) || files > 0 || !Steady(days.Select(p => (p.Date, p.Count)), calendar, day, options))
            {
                continue;
            }

            var last = days.Max(p => p.Date);
            findings.Add(new Finding
            {
                Kind = FindingKind.KmsCoverageGap,
                Severity = Severity.High,
                Title = hasLedger
                    ? $"No CloudTrail files and no KMS events from account {account} on {day:yyyy-MM-dd}, after KMS events on {withKms} of the previous {options.BaselineDays} days (the last on {last:yyyy-MM-dd}): is its trail stopped, or its delivery or ingestion stalled?"
                    : $"No KMS events from account {account} on {day:yyyy-MM-dd}, after KMS events on {withKms} of the previous {options.BaselineDays} days (the last on {last:yyyy-MM-dd}): is its trail stopped or excluding KMS events? (the dataset has no ledger to tell whether its log files arrived)",
                CallerAccountId = account,
                Count = 0,
                BaselineMean = Math.Round(days.Where(p => p.Date < day).Average(p => (double)p.Count), 1),
                Details = new JsonObject
                {
                    ["scope"] = "account",
                    ["account_id"] = account,
                    ["log_files_delivered"] = hasLedger ? 0 : null,
                    ["baseline_days_with_kms"] = withKms,
                    ["last_day_with_events"] = last.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                },
            });
        }

        return findings;
    }

    /// <summary>
    /// The dataset holds no KMS event at all for the report day, after events on most baseline days: ingestion stalled
    /// (a worker down, a queue no longer notified), the trail stopped, or the day was not ingested yet. A quiet report
    /// would otherwise pass for a quiet day.
    /// </summary>
    public static async Task<IReadOnlyList<Finding>> NoEventsAsync(DatasetQuery q, DateOnly day, AnalysisOptions options, CancellationToken ct)
    {
        var start = day.AddDays(-options.BaselineDays);
        var rows = await q.QueryRowsAsync(
            "SELECT event_date, count(*) FROM kms_events_all WHERE event_date BETWEEN $1 AND $2 GROUP BY 1", ct, start, day).ConfigureAwait(false);
        var perDay = rows.ToDictionary(r => Values.Date(r[0]), r => Values.Long(r[1]));
        var withEvents = perDay.Count(p => p.Key < day);
        if (perDay.ContainsKey(day) || withEvents < options.MinBaselineDays
            || withEvents * 2 < day.DayNumber - perDay.Keys.Min().DayNumber)
        {
            return []; // events on the day, too little history, or history too sparse for a silent day to mean anything
        }

        var last = perDay.Keys.Max();
        return
        [
            new Finding
            {
                Kind = FindingKind.KmsCoverageGap,
                Severity = Severity.High,
                Title = $"No KMS events stored for {day:yyyy-MM-dd} at all, after KMS events on {withEvents} of the previous {options.BaselineDays} days (the last on {last:yyyy-MM-dd}): is ingestion stalled, the trail stopped, or the day not ingested yet?",
                Count = 0,
                BaselineMean = Math.Round(perDay.Where(p => p.Key < day).Average(p => (double)p.Value), 1),
                Details = new JsonObject
                {
                    ["scope"] = "dataset",
                    ["baseline_days_with_events"] = withEvents,
                    ["last_day_with_events"] = last.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                },
            },
        ];
    }

    /// <summary>
    /// Log files delivered and KMS rows kept per (trail account, delivery day) from <paramref name="start"/> to
    /// <paramref name="end"/>, from the ledger; the latest delivery time of any log file it records from
    /// <paramref name="start"/> on (also after <paramref name="end"/>); and how many marker files were read to find them.
    /// </summary>
    internal static async Task<LedgerTally> TallyAsync(string datasetRoot, DateOnly start, DateOnly end, CancellationToken ct)
    {
        var perDay = new Dictionary<(string Account, DateOnly Date), (int Files, long Rows)>();
        var ledger = new DirectoryInfo(Path.Combine(datasetRoot, DatasetLayout.LedgerDirectory));
        if (!ledger.Exists)
        {
            return new LedgerTally(perDay, 0, null);
        }

        DateTime? lastDelivery = null;

        // The markers of one flush are one file under many names (hard links, one per object), so a marker whose object
        // was already met in a file read before is skipped unread: each shared file is read once, not once per object.
        // An object marked again later also keeps its old line in the older file: each object counts once.
        var writtenAfter = start.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) - ClockMargin;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var filesRead = 0;
        foreach (var file in ledger.EnumerateFiles("*.json", SearchOption.AllDirectories))
        {
            if (seen.Contains(Path.GetFileNameWithoutExtension(file.Name)) || file.LastWriteTimeUtc < writtenAfter)
            {
                continue;
            }

            List<LedgerMarker> markers;
            try
            {
                markers = ProcessedObjectLedger.ParseMarkers(await File.ReadAllTextAsync(file.FullName, ct).ConfigureAwait(false)).ToList();
                filesRead++;
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                continue;
            }

            foreach (var marker in markers)
            {
                if (!seen.Add(new SourceIdentity(marker.Kind, marker.Location, marker.Version).Hash)
                    || !TryDelivery(marker.Location, out var account, out var date) || date < start)
                {
                    continue;
                }

                if (TryDeliveryTime(marker.Location, out var delivered) && !(delivered <= lastDelivery))
                {
                    lastDelivery = delivered;
                }

                if (date > end)
                {
                    continue;
                }

                var current = perDay.GetValueOrDefault((account, date));
                perDay[(account, date)] = (current.Files + 1, current.Rows + marker.Rows);
            }
        }

        return new LedgerTally(perDay, filesRead, lastDelivery);
    }

    /// <summary>The delivery time CloudTrail writes into a log file's name (<c>…_20260115T1005Z_…</c>), to the minute.</summary>
    internal static bool TryDeliveryTime(string location, out DateTime delivered)
    {
        delivered = default;
        var match = FileName().Match(location[(location.Replace('\\', '/').LastIndexOf('/') + 1)..]);
        return match.Success && DateTime.TryParseExact(
            match.Groups["day"].Value + match.Groups["time"].Value, "yyyyMMddHHmm", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out delivered);
    }

    private static List<Finding> Gaps(Dictionary<(string Account, DateOnly Date), (int Files, long Rows)> perDay, DateOnly day, AnalysisOptions options)
    {
        var findings = new List<Finding>();
        foreach (var account in perDay.Keys.Select(k => k.Account).Distinct().Order(StringComparer.Ordinal))
        {
            if (!perDay.TryGetValue((account, day), out var today) || today.Rows > 0)
            {
                continue;
            }

            var baselineDays = perDay.Where(p => p.Key.Account == account && p.Key.Date < day).ToList();
            var withKms = baselineDays.Count(p => p.Value.Rows > 0);
            if (!Steady(baselineDays.Select(p => (p.Key.Date, p.Value.Rows)), baselineDays.Select(p => p.Key.Date), day, options))
            {
                continue;
            }

            findings.Add(new Finding
            {
                Kind = FindingKind.KmsCoverageGap,
                Severity = Severity.High,
                Title = $"No KMS events in account {account}'s CloudTrail files delivered on {day:yyyy-MM-dd} ({Counted.Of(today.Files, "file")}), after KMS events on {withKms} of the previous {baselineDays.Count} days: is the trail excluding KMS events?",
                CallerAccountId = account,
                Count = 0,
                BaselineMean = Math.Round(baselineDays.Where(p => p.Value.Rows > 0).Average(p => (double)p.Value.Rows), 1),
                Details = new JsonObject
                {
                    ["account_id"] = account,
                    ["log_files_delivered"] = today.Files,
                    ["baseline_days_with_kms"] = withKms,
                    ["baseline_days_with_files"] = baselineDays.Count,
                },
            });
        }

        return findings;
    }

    /// <summary>
    /// Whether an account had KMS events on nearly every baseline day it could have had them (<paramref name="candidates"/>:
    /// days with log files, or every day since its first event), so that a report day without any is news. With
    /// weekday-aware baselines only days of the report day's kind count: an account busy only on weekdays is not
    /// silent on a Sunday, and one busy every day is when its weekend goes quiet.
    /// </summary>
    private static bool Steady(IEnumerable<(DateOnly Date, long Count)> kmsPerDay, IEnumerable<DateOnly> candidates, DateOnly day, AnalysisOptions options)
    {
        var kms = kmsPerDay.Where(p => p.Date < day && p.Count > 0).ToDictionary(p => p.Date, p => p.Count);
        var possible = candidates.Where(d => d < day).ToList();
        if (kms.Count < options.MinBaselineDays)
        {
            return false;
        }

        var weekend = SeriesStatistics.IsWeekend(day);
        if (options.WeekdayAware && possible.Any(d => SeriesStatistics.IsWeekend(d) == weekend))
        {
            possible = possible.Where(d => SeriesStatistics.IsWeekend(d) == weekend).ToList();
        }

        // A quiet account can have a day without KMS by chance: only when its usual volume makes an empty day
        // improbable (e^-mean ≤ 0.001 for Poisson counts) is the empty day news.
        var mean = possible.Sum(d => (double)kms.GetValueOrDefault(d)) / Math.Max(1, possible.Count);
        return possible.Count(kms.ContainsKey) >= SteadyShare * possible.Count && mean >= SteadyMinMean;
    }

    /// <summary>The trail account and delivery date of a CloudTrail object from its key or path.</summary>
    internal static bool TryDelivery(string location, out string account, out DateOnly date)
    {
        date = default;
        account = string.Empty;
        var normalized = location.Replace('\\', '/');
        if (!CloudTrailObjectKey.TryParse(normalized, out _, out account, out var region))
        {
            // A log file copied out of the bucket layout still names its account and delivery time.
            var name = FileName().Match(normalized[(normalized.LastIndexOf('/') + 1)..]);
            account = name.Success ? name.Groups["acct"].Value : string.Empty;
            return name.Success && DateOnly.TryParseExact(name.Groups["day"].Value, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
        }

        var marker = $"/{account}/CloudTrail/{region}/";
        var at = normalized.IndexOf(marker, StringComparison.Ordinal);
        var parts = normalized[(at + marker.Length)..].Split('/');
        return parts.Length >= 3 && DateOnly.TryParseExact($"{parts[0]}-{parts[1]}-{parts[2]}", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?<acct>\d{12})_CloudTrail_[a-z0-9-]+_(?<day>\d{8})T(?<time>\d{4})Z_", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex FileName();
}

/// <summary>What the ledger says about deliveries (<see cref="CoverageGaps.TallyAsync"/>).</summary>
/// <param name="PerDay">Log files and KMS rows per (trail account, delivery day) in the window.</param>
/// <param name="FilesRead">Marker files read.</param>
/// <param name="LastDelivery">The latest delivery time named by a log file recorded from the window's start on; null when none.</param>
internal sealed record LedgerTally(Dictionary<(string Account, DateOnly Date), (int Files, long Rows)> PerDay, int FilesRead, DateTime? LastDelivery);
