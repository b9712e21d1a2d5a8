using System.Globalization;
using System.Security.Cryptography;

namespace Pipeline.Sink;

/// <summary>
/// Names inside a dataset root. Partition and file names are built only from numbers and validated writer ids,
/// never from event text, so a hostile record cannot steer a write outside its partition.
/// </summary>
internal static class DatasetLayout
{
    public const string TableDirectory = "kms_events";
    public const string LedgerDirectory = "_ledger";
    public const string ParquetSuffix = ".parquet";

    /// <summary>
    /// Prefix of every in-progress file or directory. It starts with a dot and never ends in <c>.parquet</c>, so the
    /// query glob <c>*/*.parquet</c> cannot see a half-written file.
    /// </summary>
    public const string TempPrefix = ".tmp-";

    /// <summary>
    /// What makes two stored rows the same event: CloudTrail documents duplicate deliveries with the same eventID,
    /// but published samples also reuse one eventID for different events (even at the same time: a DisableKey and a
    /// ScheduleKeyDeletion both with eventID "1"), so the time, the receiving account and the operation are part of
    /// the identity (a true duplicate has all four equal).
    /// </summary>
    public const string EventIdentityColumns = "event_id, event_time, recipient_account_id, event_name";

    public const string CompactedPrefix = "part-compact-";

    /// <summary>Relative directory of one day, e.g. <c>kms_events/event_date=2024-05-01</c>.</summary>
    public static string PartitionDirectory(int dayNumber) =>
        TableDirectory + "/event_date=" + DateOnly.FromDayNumber(dayNumber).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Parses <c>event_date=YYYY-MM-DD</c>; false for anything else.</summary>
    public static bool TryParsePartition(string directoryName, out DateOnly day)
    {
        const string Prefix = "event_date=";
        day = default;
        return directoryName.StartsWith(Prefix, StringComparison.Ordinal)
            && DateOnly.TryParseExact(directoryName.AsSpan(Prefix.Length), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
    }

    /// <summary>
    /// A file name that sorts by creation time and is unique across writers: the timestamp orders files for
    /// humans, the random part avoids collisions between processes that share a writer id by mistake.
    /// </summary>
    public static string NewPartFileName(string writerId, DateTimeOffset now)
    {
        ValidateWriterId(writerId);
        return "part-" + writerId + "-" + now.UtcDateTime.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture)
            + "-" + RandomHex(8) + ParquetSuffix;
    }

    public static string NewTempName() => TempPrefix + RandomHex(16);

    public static string RandomHex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    /// <summary>This host's name reduced to letters and digits (at most 24), the default writer id; "local" if nothing is left.</summary>
    public static string DefaultWriterId()
    {
        var host = new string(Environment.MachineName.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(24).ToArray());
        return host.Length == 0 ? "local" : host;
    }

    public static void ValidateWriterId(string writerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(writerId);
        foreach (var c in writerId)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                // '-' is excluded so that the writer id can be read back from a file name unambiguously.
                throw new ArgumentException($"Writer id '{writerId}' may contain only ASCII letters, digits and '_'.", nameof(writerId));
            }
        }
    }
}
