using System.ComponentModel.DataAnnotations;

namespace Pipeline.Analysis;

/// <summary>Thresholds of the daily report (configuration section <c>Report</c>); every default is documented in the README.</summary>
internal sealed class AnalysisOptions
{
    /// <summary>Trailing days compared against, excluding the report day (default 28).</summary>
    [Range(7, 365)]
    public int BaselineDays { get; set; } = 28;

    /// <summary>Days a series must have existed before the report day to be scored for volume (default 7); younger ones are "new".</summary>
    [Range(1, 365)]
    public int MinBaselineDays { get; set; } = 7;

    /// <summary>z-score at or above which a daily count is anomalous (default 4).</summary>
    [Range(1.0, 100.0)]
    public double ZThreshold { get; set; } = 4.0;

    /// <summary>Smallest report-day count that can be a volume anomaly (default 10), so 0 → 3 calls is not an alert.</summary>
    [Range(1, 1_000_000)]
    public long MinCount { get; set; } = 10;

    /// <summary>Floor of the standard deviation (default 1 call).</summary>
    [Range(0.01, 1_000_000.0)]
    public double MinStdDev { get; set; } = 1.0;

    /// <summary>Also floor the standard deviation at this multiple of √mean (the Poisson spread; default 1).</summary>
    [Range(0.0, 100.0)]
    public double PoissonStdDevFactor { get; set; } = 1.0;

    /// <summary>Poisson upper-tail probability a count must also reach (second opinion; default 1e-6).</summary>
    [Range(0.0, 1.0)]
    public double MaxPValue { get; set; } = 1e-6;

    /// <summary>Compare weekdays with weekdays and weekends with weekends when each has enough history (default on).</summary>
    public bool WeekdayAware { get; set; } = true;

    /// <summary>Failed calls of one principal on the report day that can be a burst (default 20).</summary>
    [Range(1, 1_000_000)]
    public long MinFailedCalls { get; set; } = 20;

    /// <summary>How far back "never seen before" looks (default 90 days).</summary>
    [Range(7, 3650)]
    public int NewPrincipalLookbackDays { get; set; } = 90;

    /// <summary>Accounts treated as ours besides those whose trails are in the dataset.</summary>
    public List<string> KnownAccounts { get; set; } = [];

    /// <summary>
    /// Organization ids (<c>o-…</c>) treated as ours besides those in the dataset's log file keys
    /// (<c>AWSLogs/o-…/</c>): a key policy that lets in <c>"*"</c> of another organization is reported.
    /// </summary>
    public List<string> KnownOrganizations { get; set; } = [];

    /// <summary>
    /// Principals never reported by the behavioural findings (volume, new principal, cross-account): exact principals, or
    /// patterns with <c>*</c> for any run of characters (<see cref="PrincipalAllowList"/>).
    /// </summary>
    public List<string> AllowedPrincipals { get; set; } = [];

    private PrincipalAllowList? _allowList;

    /// <summary>Whether <paramref name="principal"/> is one of <see cref="AllowedPrincipals"/> or matches one of its patterns.</summary>
    public bool IsAllowedPrincipal(string? principal) => (_allowList ??= new PrincipalAllowList(AllowedPrincipals)).Contains(principal);

    /// <summary>Per-kind severity overrides, e.g. <c>{"key_rotation_disabled": "low"}</c>.</summary>
    public Dictionary<string, string> SeverityOverrides { get; set; } = [];
}
