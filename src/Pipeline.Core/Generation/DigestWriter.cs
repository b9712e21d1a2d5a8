using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace Pipeline.Generation;

/// <summary>
/// Hourly digest files of one (account, region) chain: each lists the log files delivered in its hour and hashes the
/// previous digest. They have no <c>Records</c>, which is exactly what trips naive parsers.
/// </summary>
internal static class DigestWriter
{
    /// <summary>Writes the chain; returns the number of digest files.</summary>
    public static int WriteChain(string root, Population pop, long seed, int account, int region, DateOnly start, int days, IReadOnlyList<LogFileInfo> files)
    {
        var rng = GenRandom.Derive(seed, 4, account, region);
        var fingerprint = rng.Hex(32);
        var begin = start.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var previousEnd = begin.AddHours(-1);
        string? previousKey = null;
        string? previousHash = null;
        var next = 0;
        var count = 0;
        Span<byte> time = stackalloc byte[24];
        for (var h = 0; h < days * 24; h++)
        {
            var end = begin.AddHours(h).AddSeconds(rng.Next(20, 120));
            var key = ArchiveLayout.DigestKey(pop, account, region, end);
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, LogFileWriter.WriterOptions))
            {
                var listed = new List<LogFileInfo>();
                while (next < files.Count && files[next].Delivered < end)
                {
                    listed.Add(files[next++]);
                }

                w.WriteStartObject();
                w.WriteString("awsAccountId", pop.Accounts[account].Id);
                w.WriteString("digestStartTime", time[..TimeText.Iso(previousEnd, time)]);
                w.WriteString("digestEndTime", time[..TimeText.Iso(end, time)]);
                w.WriteString("digestS3Bucket", pop.Bucket);
                w.WriteString("digestS3Object", key);
                w.WriteString("digestPublicKeyFingerprint", fingerprint);
                w.WriteString("digestSignatureAlgorithm", "SHA256withRSA");
                WriteTimeOrNull(w, "newestEventTime", listed.Count == 0 ? null : listed.Max(f => f.Newest));
                WriteTimeOrNull(w, "oldestEventTime", listed.Count == 0 ? null : listed.Min(f => f.Oldest));
                WriteOrNull(w, "previousDigestS3Bucket", previousKey is null ? null : pop.Bucket);
                WriteOrNull(w, "previousDigestS3Object", previousKey);
                WriteOrNull(w, "previousDigestHashValue", previousHash);
                WriteOrNull(w, "previousDigestHashAlgorithm", previousHash is null ? null : "SHA-256");
                WriteOrNull(w, "previousDigestSignature", previousHash is null ? null : rng.Hex(512));
                w.WriteStartArray("logFiles");
                foreach (var f in listed)
                {
                    w.WriteStartObject();
                    w.WriteString("s3Bucket", pop.Bucket);
                    w.WriteString("s3Object", f.Key);
                    w.WriteString("hashValue", f.Sha256Hex);
                    w.WriteString("hashAlgorithm", "SHA-256");
                    WriteTimeOrNull(w, "newestEventTime", f.Newest);
                    WriteTimeOrNull(w, "oldestEventTime", f.Oldest);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            var json = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
            var path = ArchiveLayout.FullPath(root, key);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
            using (var gz = new GZipStream(file, CompressionLevel.Fastest))
            {
                gz.Write(json);
            }

            previousHash = Convert.ToHexStringLower(SHA256.HashData(json));
            previousKey = key;
            previousEnd = end;
            count++;
        }

        return count;
    }

    private static void WriteOrNull(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteTimeOrNull(Utf8JsonWriter w, string name, DateTime? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
            return;
        }

        Span<byte> t = stackalloc byte[24];
        var v = value.Value;
        w.WriteString(name, t[..TimeText.Iso(v.AddTicks(-(v.Ticks % TimeSpan.TicksPerSecond)), t)]);
    }
}
