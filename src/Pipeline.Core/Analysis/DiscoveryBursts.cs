using System.Text.Json.Nodes;
using Pipeline.Query;
using Pipeline.Reporting;

namespace Pipeline.Analysis;

/// <summary>
/// Reconnaissance: a principal listing and describing keys, aliases, policies and grants far more than it usually
/// does (or at all, when it never did). Those calls touch no data, so neither the volume anomalies nor the
/// new-principal findings (calls that use a key's material) see them; an intruder maps the keys before using them.
/// Failed calls count too: probing often draws AccessDenied. Calls made through the console or another service for the
/// principal (<c>invokedBy</c>) are its own; AWS services' own work is not counted.
/// </summary>
internal static class DiscoveryBursts
{
    private const string DiscoveryCall = """
        (event_name LIKE 'List%' OR event_name LIKE 'Describe%'
         OR event_name IN ('GetKeyPolicy', 'GetKeyRotationStatus', 'GetPublicKey', 'GetParametersForImport'))
        """;

    public static async Task<IReadOnlyList<Finding>> FindAsync(DatasetQuery q, DateOnly day, AnalysisOptions options, CancellationToken ct)
    {
        // A dataset's first days are no baseline: a CI role's routine DescribeKey calls on day 2 were 7 times "its" day 1.
        // (Access-denied bursts are still scored then: they need at least MinFailedCalls refused calls.)
        if (await DataCoverage.BaselineStartAsync(q, day, options, ct).ConfigureAwait(false) > day.AddDays(-options.MinBaselineDays))
        {
            return [];
        }

        var findings = new List<Finding>();
        var filter = $"{PrincipalFindings.PrincipalUse} AND {DiscoveryCall}";
        foreach (var (principal, score) in await PrincipalFindings.DailyScoresAsync(q, day, options, filter, ct).ConfigureAwait(false))
        {
            if (!SeriesStatistics.IsAnomalous(score, options))
            {
                continue;
            }

            var calls = await q.QueryRowsAsync(
                $"""
                SELECT event_id, event_time, event_name, caller_account_id, coalesce(key_arn, key_ref), error_code, principal_kind
                FROM kms_actions
                WHERE event_date = $1 AND principal_arn = $2 AND {DiscoveryCall}
                ORDER BY event_time, event_id
                """,
                ct,
                day,
                principal).ConfigureAwait(false);
            var keys = calls.Select(c => Values.Str(c[4])).Where(k => k is not null).Distinct().Count();
            var ratio = score.Mean <= 0 ? double.PositiveInfinity : score.Count / score.Mean;
            var recurring = await VolumeAnomalies.RecurringMonthlyAsync(q, day, filter, principal, null, score.Count, score.Mean, ct).ConfigureAwait(false);
            findings.Add(VolumeAnomalies.AsMonthlyRun(new Finding
            {
                Kind = FindingKind.DiscoveryBurst,
                Severity = score.Z >= options.ZThreshold * 2 || ratio >= 10 ? Severity.High : Severity.Medium,
                Title = $"{PrincipalFindings.Describe(principal, Values.Str(calls[0][6]), Values.Str(calls[0][3]))}: {Counted.Of(score.Count, "list/describe KMS call")}{(keys > 0 ? " on " + Counted.Of(keys, "key") : string.Empty)} vs {score.Mean:F1}/day {VolumeAnomalies.Basis(score, day)}baseline",
                Principal = principal,
                CallerAccountId = Values.Str(calls[0][3]),
                EventName = string.Join(",", calls.Select(c => Values.Str(c[2])).Distinct().Order(StringComparer.Ordinal)),
                Count = score.Count,
                BaselineMean = Math.Round(score.Mean, 3),
                BaselineStdDev = Math.Round(score.StdDev, 3),
                ZScore = Math.Round(score.Z, 2),
                PValue = score.PValue,
                FirstSeen = Values.Utc(calls[0][1]),
                LastSeen = Values.Utc(calls[^1][1]),
                Details = new JsonObject
                {
                    ["keys_touched"] = keys,
                    ["failed_calls"] = calls.Count(c => c[5] is not null),
                    ["baseline_points"] = score.BaselinePoints,
                    ["floored_stddev"] = Math.Round(score.FlooredStdDev, 3),
                },
                EventIds = calls.Take(10).Select(c => Values.Str(c[0])!).ToList(),
            },
            recurring,
            "list/describe KMS call"));
        }

        return findings;
    }
}
