using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Sink;

/// <summary>
/// Identity of one version of a source object: S3 (bucket, key, ETag) or a local file (full path, size, last
/// write ticks). A changed object gets a new identity and is ingested again.
/// </summary>
internal sealed record SourceIdentity(string Kind, string Location, string Version)
{
    public const string S3Kind = "s3";
    public const string FileKind = "file";

    public static SourceIdentity ForS3(string bucket, string key, string etag)
    {
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(etag);

        // S3 returns the ETag quoted in HEAD/GET and unquoted in event notifications; both name the same version.
        return new SourceIdentity(S3Kind, "s3://" + bucket + "/" + key, etag.Trim('"'));
    }

    public static SourceIdentity ForLocalFile(string fullPath, long size, long lastWriteUtcTicks) =>
        new(FileKind, Path.GetFullPath(fullPath), size.ToString(CultureInfo.InvariantCulture) + ":" + lastWriteUtcTicks.ToString(CultureInfo.InvariantCulture));

    public static SourceIdentity ForLocalFile(FileInfo file) => ForLocalFile(file.FullName, file.Length, file.LastWriteTimeUtc.Ticks);

    /// <summary>Unambiguous text of the identity (fields separated by a character that none of them can contain).</summary>
    public string Canonical => Kind + "\n" + Location + "\n" + Version;

    /// <summary>
    /// Lower-case hex SHA-256 of <see cref="Canonical"/>: the marker's file name. Computed once (the lookup and the
    /// marker of one object both need it); it follows from the other three, so equality is unchanged.
    /// </summary>
    public string Hash { get; } = ComputeHash(Kind, Location, Version);

    private static string ComputeHash(string kind, string location, string version)
    {
        var canonical = kind + "\n" + location + "\n" + version;
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(canonical), digest);
        return Convert.ToHexStringLower(digest);
    }

    public override string ToString() => Kind + " " + Location + " @" + Version;
}
