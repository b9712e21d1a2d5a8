using Pipeline.Query;
using Pipeline.Reporting;

namespace Pipeline.Analysis;

/// <summary>
/// Builds the daily report for one UTC day from the dataset: summary statistics, high-priority key changes,
/// behavioural findings (volume, new principals, cross-account, access-denied bursts, coverage gaps) and the series
/// and rankings the charts show. All parameters are bound, never concatenated into SQL.
/// </summary>
internal sealed class DailyReportBuilder(AnalysisOptions options, TimeProvider time)
{
    public async Task<ReportModel> BuildAsync(DatasetQuery q, DateOnly day, CancellationToken ct)
    {
        // The ledger's log files per trail account and day (read once: the coverage checks use them too).
        var tally = await CoverageGaps.TallyAsync(q.Root, day.AddDays(-options.BaselineDays), day, ct).ConfigureAwait(false);
        var delivered = tally.PerDay;
        var coverage = await DataCoverage.ReadAsync(q, day, options, tally.LastDelivery, ct).ConfigureAwait(false);
        var known = await KnownAccountsAsync(q, delivered, ct).ConfigureAwait(false);
        var organizations = await KnownOrganizationsAsync(q, day, ct).ConfigureAwait(false);
        var findings = new List<Finding>();
        var keyChanges = await HighPriorityEvents.FindAsync(q, day, known, organizations, ct).ConfigureAwait(false);
        await NoteNewcomersAsync(q, day, keyChanges, ct).ConfigureAwait(false);
        findings.AddRange(keyChanges);
        findings.AddRange(await DeniedKeyChanges.FindAsync(q, day, ct).ConfigureAwait(false));
        var volume = await VolumeAnomalies.FindAsync(q, day, options, ct).ConfigureAwait(false);
        findings.AddRange(volume.Select(v => v.Finding));
        // The root user is one finding of its own, which says more than "new principal" would.
        var root = await RootUserActivity.FindAsync(q, day, options, ct).ConfigureAwait(false);
        findings.AddRange(root);
        findings.AddRange((await PrincipalFindings.NewPrincipalsAsync(q, day, options, known, ct).ConfigureAwait(false))
            .Where(f => !root.Any(r => r.Principal == f.Principal)));
        var (crossAccount, flows) = await PrincipalFindings.CrossAccountAsync(q, day, options, known, ct).ConfigureAwait(false);
        findings.AddRange(crossAccount);
        findings.AddRange(await PrincipalFindings.ExternalReEncryptsAsync(q, day, options, known, ct).ConfigureAwait(false));
        // A principal's first use of an outside account's key to encrypt is one finding, not also "new principal for key".
        var externalEncrypts = await PrincipalFindings.ExternalEncryptsAsync(q, day, options, known, ct).ConfigureAwait(false);
        findings.RemoveAll(f => f.Kind == FindingKind.NewPrincipalForKey && externalEncrypts.Any(e => e.Principal == f.Principal && e.KeyArn == f.KeyArn));
        findings.AddRange(externalEncrypts);
        findings.AddRange(await PrincipalFindings.AccessDeniedBurstsAsync(q, day, options, ct).ConfigureAwait(false));
        findings.AddRange(await DiscoveryBursts.FindAsync(q, day, options, ct).ConfigureAwait(false));
        findings.AddRange(await UnusableKeyUse.FindAsync(q, day, options, ct).ConfigureAwait(false));
        // A day without any stored event is said once, for the dataset: then the files delivered that day without KMS
        // records (e.g. after-midnight deliveries of the day before the data ends) are not each their account's gap.
        var noEvents = await CoverageGaps.NoEventsAsync(q, day, options, ct).ConfigureAwait(false);
        if (noEvents.Count == 0)
        {
            findings.AddRange(await CoverageGaps.FindAsync(q, day, options, tally, ct).ConfigureAwait(false));
        }

        findings.AddRange(noEvents);

        // Severity overrides make new records; keep track of which record each original became for the charts.
        var final = findings.ToDictionary(f => (object)f, ApplySeverityOverride, ReferenceEqualityComparer.Instance);
        var ordered = final.Values
            .OrderByDescending(f => f.Severity)
            .ThenBy(f => f.Kind, StringComparer.Ordinal)
            .ThenBy(f => f.Principal, StringComparer.Ordinal)
            .ThenBy(f => f.KeyArn, StringComparer.Ordinal)
            .ToList();
        var chartList = volume
            .Select(v => v.Chart with { FindingIndex = ordered.FindIndex(f => ReferenceEquals(f, final[v.Finding])) })
            .OrderBy(c => c.FindingIndex)
            .ToList();

        var baselineStart = DataCoverage.BaselineStart(day.AddDays(-options.BaselineDays), day, coverage.FirstEventDate);
        var baselineEmpty = baselineStart >= day; // the dataset starts on the report day (or later)
        return new ReportModel
        {
            ReportDate = day,
            GeneratedAt = time.GetUtcNow().UtcDateTime,
            Dataset = q.Root,
            BaselineDays = options.BaselineDays,
            BaselineStart = baselineEmpty ? null : baselineStart,
            BaselineEnd = baselineEmpty ? null : day.AddDays(-1),
            Thresholds = new Dictionary<string, double>
            {
                ["z_threshold"] = options.ZThreshold,
                ["min_count"] = options.MinCount,
                ["min_stddev"] = options.MinStdDev,
                ["poisson_stddev_factor"] = options.PoissonStdDevFactor,
                ["max_p_value"] = options.MaxPValue,
                ["min_baseline_days"] = options.MinBaselineDays,
                ["min_failed_calls"] = options.MinFailedCalls,
                ["new_principal_lookback_days"] = options.NewPrincipalLookbackDays,
                ["weekday_aware"] = options.WeekdayAware ? 1 : 0,
            },
            KnownAccounts = known.Order(StringComparer.Ordinal).ToList(),
            KnownOrganizations = organizations.Order(StringComparer.Ordinal).ToList(),
            Summary = await SummaryAsync(q, day, ordered, ct).ConfigureAwait(false),
            Coverage = coverage,
            Notes = coverage.Notes(day, options),
            Findings = ordered,
            Series = chartList,
            TopPrincipals = await TopAsync(q, day, coverage.FirstEventDate, "principal_arn", ct).ConfigureAwait(false),
            TopKeys = await TopAsync(q, day, coverage.FirstEventDate, "key_arn", ct).ConfigureAwait(false),
            CrossAccountFlows = flows,
        };
    }

    /// <summary>
    /// Says of each key change whether its principal made any KMS call in the lookback window before the day
    /// (<c>details.principal_new_to_kms</c>): a key deleted or re-policied by a credential that never used KMS before is
    /// another story than a key administrator's routine. Only when the dataset holds enough history to tell.
    /// </summary>
    private async Task NoteNewcomersAsync(DatasetQuery q, DateOnly day, IReadOnlyList<Finding> changes, CancellationToken ct)
    {
        var byPrincipal = changes.Where(f => f.Principal is { } p && !p.StartsWith("service:", StringComparison.Ordinal)).ToList();
        if (byPrincipal.Count == 0)
        {
            return; // none, or only KMS's own scheduled work
        }

        var lookbackStart = day.AddDays(-options.NewPrincipalLookbackDays);
        if (await DataCoverage.HistoryStartAsync(q, day, lookbackStart, ct).ConfigureAwait(false) > day.AddDays(-options.MinBaselineDays))
        {
            return;
        }

        var seen = (await q.QueryRowsAsync(
                "SELECT DISTINCT principal_arn FROM kms_events_all WHERE event_date >= $2 AND event_date < $1 AND principal_arn IS NOT NULL",
                ct,
                day,
                lookbackStart).ConfigureAwait(false))
            .Select(r => Values.Str(r[0])!)
            .ToHashSet(StringComparer.Ordinal);
        foreach (var f in byPrincipal)
        {
            f.Details["principal_new_to_kms"] = !seen.Contains(f.Principal!);
        }
    }

    private Finding ApplySeverityOverride(Finding f) =>
        options.SeverityOverrides.TryGetValue(f.Kind, out var text) && SeverityText.TryParse(text, out var s) ? f with { Severity = s } : f;

    /// <summary>
    /// The accounts that are ours: those configured, every account whose trail holds KMS events, and every account that
    /// delivered log files in the baseline window (by the ledger), e.g. an organization's management or log-archive
    /// account, whose trail may hold no KMS event at all but is no outsider when a policy or grant names it.
    /// </summary>
    private async Task<HashSet<string>> KnownAccountsAsync(
        DatasetQuery q, Dictionary<(string Account, DateOnly Date), (int Files, long Rows)> delivered, CancellationToken ct)
    {
        var known = new HashSet<string>(options.KnownAccounts, StringComparer.Ordinal);
        known.UnionWith(delivered.Keys.Select(k => k.Account));
        foreach (var r in await q.QueryRowsAsync("SELECT DISTINCT recipient_account_id FROM kms_events_all WHERE recipient_account_id IS NOT NULL", ct).ConfigureAwait(false))
        {
            known.Add(Values.Str(r[0])!);
        }

        return known;
    }

    /// <summary>
    /// The organizations that are ours: those configured, and those whose organization trails delivered the stored
    /// events (the <c>o-…</c> level of their log files' keys) in the baseline window and on the day.
    /// </summary>
    private async Task<HashSet<string>> KnownOrganizationsAsync(DatasetQuery q, DateOnly day, CancellationToken ct)
    {
        var known = new HashSet<string>(options.KnownOrganizations.Select(o => o.Trim().ToLowerInvariant()), StringComparer.Ordinal);
        foreach (var r in await q.QueryRowsAsync(
            """
            SELECT DISTINCT lower(regexp_extract(src_key, '(^|/)AWSLogs/(o-[A-Za-z0-9]{10,32})/', 2)) AS organization
            FROM kms_events_all
            WHERE event_date BETWEEN $1 AND $2 AND src_key LIKE '%AWSLogs/o-%'
            """,
            ct,
            day.AddDays(-options.BaselineDays),
            day).ConfigureAwait(false))
        {
            if (Values.Str(r[0]) is { Length: > 0 } organization)
            {
                known.Add(organization);
            }
        }

        return known;
    }

    private static async Task<ReportSummary> SummaryAsync(DatasetQuery q, DateOnly day, IReadOnlyList<Finding> findings, CancellationToken ct)
    {
        var r = (await q.QueryRowsAsync(
            """
            SELECT count(*),
                   count(*) FILTER (WHERE event_name = 'Decrypt'),
                   count(*) FILTER (WHERE event_name LIKE 'GenerateDataKey%'),
                   count(*) FILTER (WHERE error_code IS NOT NULL),
                   count(DISTINCT principal_arn), count(DISTINCT key_arn), count(DISTINCT caller_account_id)
            FROM kms_actions WHERE event_date = $1
            """,
            ct,
            day).ConfigureAwait(false))[0];
        return new ReportSummary
        {
            KmsEvents = Values.Long(r[0]),
            DecryptCalls = Values.Long(r[1]),
            GenerateDataKeyCalls = Values.Long(r[2]),
            FailedCalls = Values.Long(r[3]),
            Principals = Values.Long(r[4]),
            Keys = Values.Long(r[5]),
            CallerAccounts = Values.Long(r[6]),
            FindingsBySeverity = Enum.GetValues<Severity>().OrderByDescending(s => s).ToDictionary(s => s.ToText(), s => findings.Count(f => f.Severity == s)),
        };
    }

    private async Task<IReadOnlyList<TopEntry>> TopAsync(DatasetQuery q, DateOnly day, DateOnly? firstEventDate, string column, CancellationToken ct)
    {
        // The baseline mean is over the days the dataset has (a dataset younger than the window is not diluted by the
        // days before it); 0 on its first day.
        var start = DataCoverage.BaselineStart(day.AddDays(-options.BaselineDays), day, firstEventDate);
        var days = Math.Max(1, day.DayNumber - start.DayNumber);
        // column is one of two fixed names chosen by this class, never user input.
        var rows = await q.QueryRowsAsync(
            $"""
            WITH today AS (
                SELECT {column} AS name, count(*) AS n FROM kms_actions
                WHERE event_date = $1 AND event_name = 'Decrypt' AND {column} IS NOT NULL GROUP BY 1 ORDER BY n DESC, name LIMIT 10),
            base AS (
                SELECT {column} AS name, count(*) AS n FROM kms_actions
                WHERE event_date >= $2 AND event_date < $1 AND event_name = 'Decrypt' AND {column} IN (SELECT name FROM today) GROUP BY 1)
            SELECT t.name, t.n, coalesce(b.n, 0) / $3::DOUBLE FROM today t LEFT JOIN base b USING (name) ORDER BY t.n DESC, t.name
            """,
            ct,
            day,
            start,
            (double)days).ConfigureAwait(false);
        return rows.Select(r => new TopEntry(Values.Str(r[0])!, Values.Long(r[1]), Math.Round(Convert.ToDouble(r[2], System.Globalization.CultureInfo.InvariantCulture), 2))).ToList();
    }
}
