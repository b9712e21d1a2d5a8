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

    /// <summary>Lower-case hex SHA-256 of <see cref="Canonical"/>: the marker's file name.</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical)));

    public override string ToString() => Kind + " " + Location + " @" + Version;
}
