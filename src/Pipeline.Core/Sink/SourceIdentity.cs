using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Sink;

/// <summary>
/// Identity of one version of a source object: S3 (bucket, key, ETag) or a local file (full path, size, last
/// write ticks). A changed object gets a new identity and is ingested again. Immutable, equal by its three fields
/// (a class, not a record: a <c>with</c> copy would keep the hash of the original).
/// </summary>
internal sealed class SourceIdentity : IEquatable<SourceIdentity>
{
    /// <param name="kind">s3 or file.</param>
    /// <param name="location">s3://bucket/key or the full path.</param>
    /// <param name="version">ETag, or size:ticks. A null field (a marker line missing it) counts as empty text.</param>
    public SourceIdentity(string kind, string location, string version)
    {
        Kind = kind ?? string.Empty;
        Location = location ?? string.Empty;
        Version = version ?? string.Empty;
        _sha256 = Sha256(Kind, Location, Version);
    }

    public string Kind { get; }

    public string Location { get; }

    public string Version { get; }

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

    // SHA-256 of the identity's text, kind, location and version joined by '\n' (which none of them can contain), computed
    // once: the lookup and the marker of one object both need it.
    private readonly (IdentityDigest Digest, string Hex) _sha256;

    /// <summary>Lower-case hex SHA-256 of the identity's text: the marker's file name.</summary>
    public string Hash => _sha256.Hex;

    /// <summary>The same SHA-256 as a value: what the ledger remembers in memory (32 bytes, not the strings).</summary>
    public IdentityDigest Digest => _sha256.Digest;

    private static (IdentityDigest, string) Sha256(string kind, string location, string version)
    {
        // The canonical text encoded straight into one buffer (no concatenated string, no second array).
        var length = Encoding.UTF8.GetByteCount(kind) + Encoding.UTF8.GetByteCount(location) + Encoding.UTF8.GetByteCount(version) + 2;
        var rented = length <= 1024 ? null : ArrayPool<byte>.Shared.Rent(length);
        var buffer = rented ?? stackalloc byte[1024];
        var n = Encoding.UTF8.GetBytes(kind, buffer);
        buffer[n++] = (byte)'\n';
        n += Encoding.UTF8.GetBytes(location, buffer[n..]);
        buffer[n++] = (byte)'\n';
        n += Encoding.UTF8.GetBytes(version, buffer[n..]);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(buffer[..n], digest);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return (IdentityDigest.From(digest), Convert.ToHexStringLower(digest));
    }

    public bool Equals(SourceIdentity? other) =>
        other is not null && _sha256.Digest == other._sha256.Digest && Kind == other.Kind && Location == other.Location && Version == other.Version;

    public override bool Equals(object? obj) => Equals(obj as SourceIdentity);

    public override int GetHashCode() => _sha256.Digest.GetHashCode();

    public override string ToString() => Kind + " " + Location + " @" + Version;
}

/// <summary>A SHA-256 digest as four 64-bit words: a cheap dictionary key.</summary>
internal readonly record struct IdentityDigest(ulong A, ulong B, ulong C, ulong D)
{
    public static IdentityDigest From(ReadOnlySpan<byte> sha256) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(sha256),
        BinaryPrimitives.ReadUInt64LittleEndian(sha256[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(sha256[16..]),
        BinaryPrimitives.ReadUInt64LittleEndian(sha256[24..]));
}
