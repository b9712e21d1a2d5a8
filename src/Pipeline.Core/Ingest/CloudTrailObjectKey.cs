using System.Text.RegularExpressions;

namespace Pipeline.Ingest;

/// <summary>
/// Parses CloudTrail object keys: <c>[prefix/]AWSLogs/[o-id/]account/CloudTrail/region/YYYY/MM/DD/account_CloudTrail_region_YYYYMMDDTHHmmZ_unique.json.gz</c>.
/// The date folders are delivery dates, so they are never used to partition events.
/// </summary>
internal static partial class CloudTrailObjectKey
{
    /// <summary>Classifies a key (or a local path with '/' separators).</summary>
    public static CloudTrailObjectKind Classify(string key)
    {
        if (key.Contains("/CloudTrail-Digest/", StringComparison.Ordinal) || key.Contains("_CloudTrail-Digest_", StringComparison.Ordinal))
        {
            return CloudTrailObjectKind.Digest;
        }

        if (key.Contains("/CloudTrail-Insight/", StringComparison.Ordinal) || key.Contains("_CloudTrail-Insight_", StringComparison.Ordinal))
        {
            return CloudTrailObjectKind.Insight;
        }

        return LogFileKey().IsMatch(key) || LogFileName().IsMatch(FileName(key)) ? CloudTrailObjectKind.LogFile : CloudTrailObjectKind.Other;
    }

    /// <summary>Whether the full key follows the AWS layout, including an optional organization level.</summary>
    public static bool IsStandardLayout(string key) => LogFileKey().IsMatch(key);

    /// <summary>Extracts the organization id, trail account and region from a standard key.</summary>
    public static bool TryParse(string key, out string? organizationId, out string account, out string region)
    {
        var m = LogFileKey().Match(key);
        organizationId = m.Success && m.Groups["org"].Success ? m.Groups["org"].Value : null;
        account = m.Success ? m.Groups["acct"].Value : string.Empty;
        region = m.Success ? m.Groups["region"].Value : string.Empty;
        return m.Success;
    }

    /// <summary>
    /// The delivery date in a log file's name (<c>..._20260115T1005Z_...</c>, UTC): when CloudTrail wrote the file, which
    /// can be a little after the events in it.
    /// </summary>
    public static bool TryGetDeliveryDate(string key, out DateOnly date)
    {
        var m = LogFileName().Match(FileName(key));
        date = default;
        return m.Success && DateOnly.TryParseExact(m.Groups["date"].Value, "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out date);
    }

    private static string FileName(string key)
    {
        var slash = key.LastIndexOfAny(['/', '\\']);
        return slash < 0 ? key : key[(slash + 1)..];
    }

    [GeneratedRegex(@"(?:^|/)AWSLogs/(?:(?<org>o-[a-z0-9]{10,32})/)?(?<acct>\d{12})/CloudTrail/(?<region>[a-z0-9-]+)/\d{4}/\d{2}/\d{2}/\k<acct>_CloudTrail_\k<region>_\d{8}T\d{4}Z_[A-Za-z0-9]+\.json(?:\.gz)?$", RegexOptions.CultureInvariant)]
    private static partial Regex LogFileKey();

    // A log file copied out of its folder layout keeps its self-describing name.
    [GeneratedRegex(@"^\d{12}_CloudTrail_[a-z0-9-]+_(?<date>\d{8})T\d{4}Z_[A-Za-z0-9]+\.json(?:\.gz)?$", RegexOptions.CultureInvariant)]
    private static partial Regex LogFileName();
}
