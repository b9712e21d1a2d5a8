using System.Text.RegularExpressions;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// The buckets (and optional key prefixes) the worker trusts. Matching is literal: S3 keys are not paths, so
/// <c>../</c> in a key is just characters and cannot escape a prefix.
/// </summary>
internal sealed partial class BucketAllowList
{
    private readonly (string Bucket, string Prefix)[] _entries;

    public BucketAllowList(IEnumerable<string> entries)
    {
        var list = new List<(string, string)>();
        foreach (var entry in entries)
        {
            if (!TryParseEntry(entry, out var bucket, out var prefix))
            {
                throw new ArgumentException($"'{entry}' is not a bucket name or bucket/prefix.", nameof(entries));
            }

            list.Add((bucket, prefix));
        }

        _entries = [.. list];
    }

    public static bool TryParseEntry(string entry, out string bucket, out string prefix)
    {
        var text = entry.Trim();
        if (text.StartsWith("s3://", StringComparison.Ordinal))
        {
            text = text[5..];
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        bucket = slash < 0 ? text : text[..slash];
        prefix = slash < 0 ? string.Empty : text[(slash + 1)..];
        return BucketName().IsMatch(bucket);
    }

    public bool IsAllowed(string bucket, string key)
    {
        if (key.Any(char.IsControl))
        {
            return false;
        }

        foreach (var (b, prefix) in _entries)
        {
            if (string.Equals(b, bucket, StringComparison.Ordinal) && key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex BucketName();
}
