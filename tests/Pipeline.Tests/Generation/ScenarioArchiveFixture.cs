using System.Text.Json;
using Pipeline.Generation;

namespace Pipeline.Tests.Generation;

/// <summary>One anomalies-scenario archive (35 days ending on Monday 2026-01-12), generated and parsed once.</summary>
public sealed class ScenarioArchiveFixture : IDisposable
{
    internal static readonly DateOnly ReportDay = new(2026, 1, 12);

    public ScenarioArchiveFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "gen-scenario-" + Guid.NewGuid().ToString("N"));
        Manifest = ArchiveGenerator.GenerateAsync(Options(Root), null, CancellationToken.None).GetAwaiter().GetResult();
        using (var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Root, ScenarioAnswerKey.FileName))))
        {
            AnswerKey = doc.RootElement.Clone();
        }

        foreach (var path in Directory.EnumerateFiles(Root, "*.json.gz", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var rel = Path.GetRelativePath(Root, path).Replace('\\', '/');
            if (!rel.Contains("/CloudTrail/", StringComparison.Ordinal))
            {
                continue;
            }

            // AWSLogs/<org>/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>
            var parts = rel.Split('/');
            var file = new TrailFile(parts[2], new DateOnly(int.Parse(parts[5], System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(parts[6], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[7], System.Globalization.CultureInfo.InvariantCulture)));
            Files.Add(file);
            using var doc = GeneratedArchiveFixture.Read(path);
            foreach (var r in doc.RootElement.GetProperty("Records").EnumerateArray())
            {
                Records.Add(new TrailRecord(file, r.Clone()));
            }
        }
    }

    internal string Root { get; }

    internal GenerationManifest Manifest { get; }

    internal JsonElement AnswerKey { get; }

    internal List<TrailFile> Files { get; } = [];

    internal List<TrailRecord> Records { get; } = [];

    internal IEnumerable<TrailRecord> Kms => Records.Where(r => r.Record.GetProperty("eventSource").GetString() == "kms.amazonaws.com");

    internal static GeneratorOptions Options(string root) => new()
    {
        OutputDirectory = root,
        Days = 35,
        EndDate = ReportDay,
        Seed = 42,
        TargetUncompressedBytes = 4L * 1024 * 1024,
        Scenario = GeneratorScenario.Anomalies,
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp directory left behind is harmless
        }
    }
}
