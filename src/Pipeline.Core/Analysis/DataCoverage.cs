using System.Globalization;
using System.Text.Json.Serialization;
using Pipeline.Query;
using Pipeline.Reporting;

namespace Pipeline.Analysis;

/// <summary>
/// Which days the dataset holds KMS events for, seen from one report day: a report on a day without data, or with
/// too little history for the behavioural checks, must say so rather than pass for a quiet day.
/// </summary>
internal sealed record DataCoverage
{
    /// <summary>The first day with a stored KMS event (any, not only the baseline window); null for an empty dataset.</summary>
    [JsonPropertyName("first_event_date")] public DateOnly? FirstEventDate { get; init; }

    /// <summary>The last day with a stored KMS event; null for an empty dataset.</summary>
    [JsonPropertyName("last_event_date")] public DateOnly? LastEventDate { get; init; }

    /// <summary>The day with stored KMS events before <see cref="LastEventDate"/>; null when there is none. Not in report.json.</summary>
    [JsonIgnore] public DateOnly? PreviousEventDate { get; init; }

    /// <summary>The time of the latest stored KMS event; null for an empty dataset.</summary>
    [JsonPropertyName("last_event_time")] public DateTime? LastEventTime { get; init; }

    /// <summary>The latest delivery time named by a CloudTrail log file in the ledger (from the baseline window on); null without a ledger.</summary>
    [JsonPropertyName("last_delivery_time")] public DateTime? LastDeliveryTime { get; init; }

    /// <summary>
    /// Whether the data reaches the report day's last hour (<see cref="Covers"/>). When it does not, the day is the
    /// dataset's partial last day (a folder synced in the morning, or a day still in progress): its counts are partial
    /// and coverage gaps are not looked for.
    /// </summary>
    [JsonPropertyName("report_day_complete")] public bool ReportDayComplete { get; init; }

    /// <summary>Days of the baseline window (the days before the report day) with at least one stored KMS event.</summary>
    [JsonPropertyName("baseline_days_with_events")] public int BaselineDaysWithEvents { get; init; }

    /// <summary>Stored KMS rows of the report day (every copy, as in <c>kms_events_all</c>).</summary>
    [JsonPropertyName("report_day_rows")] public long ReportDayRows { get; init; }

    /// <summary>
    /// The first day the baseline scores compare with: the window's first day, or the dataset's first day when the
    /// dataset starts later (days before it have no data, which is not the same as no calls).
    /// </summary>
    public static DateOnly BaselineStart(DateOnly windowStart, DateOnly day, DateOnly? firstEventDate) =>
        firstEventDate is { } first && first > windowStart ? (first < day ? first : day) : windowStart;

    /// <summary><see cref="BaselineStart(DateOnly, DateOnly, DateOnly?)"/> of the report day's window, reading the dataset's first day.</summary>
    public static async Task<DateOnly> BaselineStartAsync(DatasetQuery q, DateOnly day, AnalysisOptions options, CancellationToken ct) =>
        BaselineStart(day.AddDays(-options.BaselineDays), day, await FirstEventDateAsync(q, ct).ConfigureAwait(false));

    /// <summary>The dataset's first day with a stored KMS event, or null when it holds none.</summary>
    public static async Task<DateOnly?> FirstEventDateAsync(DatasetQuery q, CancellationToken ct) =>
        await q.QueryScalarAsync("SELECT min(event_date) FROM kms_events_all", ct).ConfigureAwait(false) is { } v ? Values.Date(v) : null;

    /// <summary>The first day with a stored KMS event from <paramref name="lookbackStart"/> on; <paramref name="day"/> when there is none.</summary>
    public static async Task<DateOnly> HistoryStartAsync(DatasetQuery q, DateOnly day, DateOnly lookbackStart, CancellationToken ct) =>
        Values.Date(await q.QueryScalarAsync("SELECT coalesce(min(event_date), $1) FROM kms_events_all WHERE event_date >= $2", ct, day, lookbackStart).ConfigureAwait(false));

    /// <summary>The time of the dataset's latest stored KMS event, or null when it holds none.</summary>
    public static async Task<DateTime?> LastEventTimeAsync(DatasetQuery q, CancellationToken ct) =>
        Values.Utc(await q.QueryScalarAsync("SELECT max(event_time) FROM kms_events_all", ct).ConfigureAwait(false));

    /// <summary>The later of two times, either of which may be unknown.</summary>
    public static DateTime? Latest(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a > b ? a : b;

    /// <summary>
    /// Whether data that ends at <paramref name="dataEnd"/> (the latest event, or log file delivery by the ledger) covers
    /// <paramref name="day"/> to its end: it reaches the day's last hour. CloudTrail delivers a file about every five
    /// minutes per account and Region while there are events, so a dataset kept current (the worker, or a daily sync and
    /// ingest after midnight) reaches past any finished day; one whose data stops earlier in the day was synced or
    /// ingested while the day was going on.
    /// </summary>
    public static bool Covers(DateOnly day, DateTime? dataEnd) =>
        dataEnd is { } end && end >= Values.ToUtcDateTime(day.AddDays(1)) - LastHour;

    private static readonly TimeSpan LastHour = TimeSpan.FromHours(1);

    /// <param name="q">The dataset.</param>
    /// <param name="day">The report day.</param>
    /// <param name="options">Windows.</param>
    /// <param name="lastDelivery">The latest log file delivery the ledger records (<see cref="LedgerTally.LastDelivery"/>).</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<DataCoverage> ReadAsync(DatasetQuery q, DateOnly day, AnalysisOptions options, DateTime? lastDelivery, CancellationToken ct)
    {
        var r = (await q.QueryRowsAsync(
            """
            WITH last AS (SELECT max(event_date) AS d FROM kms_events_all)
            SELECT min(event_date), max(event_date),
                   count(DISTINCT event_date) FILTER (WHERE event_date >= $1 AND event_date < $2),
                   count(*) FILTER (WHERE event_date = $2),
                   max(event_time),
                   max(event_date) FILTER (WHERE event_date < (SELECT d FROM last))
            FROM kms_events_all
            """,
            ct,
            day.AddDays(-options.BaselineDays),
            day).ConfigureAwait(false))[0];
        var lastEvent = Values.Utc(r[4]);
        return new DataCoverage
        {
            FirstEventDate = r[0] is null ? null : Values.Date(r[0]),
            LastEventDate = r[1] is null ? null : Values.Date(r[1]),
            PreviousEventDate = r[5] is null ? null : Values.Date(r[5]),
            LastEventTime = lastEvent,
            LastDeliveryTime = lastDelivery,
            ReportDayComplete = Covers(day, Latest(lastEvent, lastDelivery)),
            BaselineDaysWithEvents = (int)Values.Long(r[2]),
            ReportDayRows = Values.Long(r[3]),
        };
    }

    /// <summary>What a reader must know before trusting the report's silence: no data for the day, or too little history.</summary>
    public IReadOnlyList<string> Notes(DateOnly day, AnalysisOptions options)
    {
        if (FirstEventDate is not { } first || LastEventDate is not { } last)
        {
            return ["The dataset holds no KMS events at all: nothing was compared. Ingest CloudTrail logs first (pipeline ingest, or the worker), then report again."];
        }

        var notes = new List<string>();
        var span = $"the dataset's KMS events run from {Text(first)} to {Text(last)}";
        var dataEnd = Latest(LastEventTime, LastDeliveryTime);
        // When the last day is partial, the latest complete day worth a report is the one before it that has events (a
        // sparse dataset may have none the day before).
        var latestComplete = dataEnd is null || Covers(last, dataEnd) || PreviousEventDate is not { } previous ? last : previous;
        if (ReportDayRows == 0)
        {
            notes.Add(day > last
                ? $"No KMS events are stored for {Text(day)}: {span}. For its latest {(latestComplete == last ? "day" : "complete day")}, run the report with --date {Text(latestComplete)}; if {Text(day)} should have data, check that ingestion is running."
                : day < first
                    ? $"No KMS events are stored for {Text(day)}: {span}, after the report day."
                    : $"No KMS events are stored for {Text(day)}, although {span}.");
        }

        if (ReportDayRows > 0 && !ReportDayComplete && dataEnd is { } end)
        {
            notes.Add($"The data ends at {end.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC (the latest {(end == LastDeliveryTime ? "log file delivery" : "KMS event")}), before the last hour of {Text(day)}: the day is not complete, so its counts are partial and coverage gaps were not looked for.{(latestComplete < day ? $" The latest complete day is {Text(latestComplete)}." : string.Empty)}");
        }

        if (BaselineDaysWithEvents == 0 && ReportDayRows > 0)
        {
            notes.Add($"No KMS events are stored for the {options.BaselineDays} days before {Text(day)} ({span}): nothing on the report day could be compared with a baseline, so volume anomalies, access-denied and discovery bursts, new principals and coverage gaps were not looked for; only key changes, calls to unusable keys, root user calls and callers outside the known accounts are reported.");
        }
        else if (ReportDayRows > 0 && first > day.AddDays(-options.MinBaselineDays))
        {
            notes.Add($"Only {Counted.Of(day.DayNumber - first.DayNumber, "day")} of history before {Text(day)} ({span}): volume anomalies, discovery bursts, new principals and a root user's first KMS calls need {options.MinBaselineDays} days (Report:MinBaselineDays) and were not looked for.");
        }
        else if (ReportDayRows > 0 && first > day.AddDays(-options.BaselineDays))
        {
            notes.Add($"The baseline is shorter than its {options.BaselineDays} days: {span}, so volumes are compared with the {day.DayNumber - first.DayNumber} days from {Text(first)} only, and a principal is new when those days do not hold it.");
        }

        return notes;
    }

    private static string Text(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
