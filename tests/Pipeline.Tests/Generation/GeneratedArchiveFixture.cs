using System.IO.Compression;
using System.Text.Json;
using Pipeline.Generation;

namespace Pipeline.Tests.Generation;

/// <summary>One small archive shared by the read-only generation tests (generated once, parsed once).</summary>
public sealed class GeneratedArchiveFixture : IDisposable
{
    public GeneratedArchiveFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "gen-fixture-" + Guid.NewGuid().ToString("N"));
        Manifest = ArchiveGenerator.GenerateAsync(Options(Root, seed: 42, sizeMb: 3), null, CancellationToken.None).GetAwaiter().GetResult();
        LogFiles = Directory.EnumerateFiles(Root, "*.json.gz", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, p).Replace('\\', '/'))
            .Where(p => p.Contains("/CloudTrail/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        DigestFiles = Directory.EnumerateFiles(Root, "*.json.gz", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, p).Replace('\\', '/'))
            .Where(p => p.Contains("/CloudTrail-Digest/", StringComparison.Ordinal)).ToList();
        foreach (var file in LogFiles)
        {
            using var doc = Read(Path.Combine(Root, file));
            foreach (var r in doc.RootElement.GetProperty("Records").EnumerateArray())
            {
                Records.Add((file, r.Clone()));
            }
        }
    }

    internal string Root { get; }

    internal GenerationManifest Manifest { get; }

    internal List<string> LogFiles { get; }

    internal List<string> DigestFiles { get; }

    internal List<(string File, JsonElement Record)> Records { get; } = [];

    internal static GeneratorOptions Options(string root, long seed, double sizeMb, int days = 3, bool single = false) => new()
    {
        OutputDirectory = root,
        Days = days,
        EndDate = new DateOnly(2026, 1, 15),
        Seed = seed,
        TargetUncompressedBytes = (long)(sizeMb * 1024 * 1024),
        SingleFile = single,
    };

    internal static JsonDocument Read(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        return JsonDocument.Parse(gz);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Temp clean-up is best effort.
        }
    }
}
