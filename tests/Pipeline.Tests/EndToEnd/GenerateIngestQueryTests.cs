using System.Globalization;
using Pipeline.Generation;
using Pipeline.Query;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.EndToEnd;

/// <summary>The whole local path through the real CLI: generate → ingest → query, checked against the generator's own counts.</summary>
public sealed class GenerateIngestQueryTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "pipeline-e2e", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_thirty_day_archive_gives_exactly_one_row_per_distinct_kms_event_id()
    {
        var archive = Path.Combine(_root, "archive");
        var data = Path.Combine(_root, "data");
        var generated = await CliRunner.RunAsync("generate", "--out", archive, "--days", "30", "--end-date", "2026-01-31", "--seed", "7", "--size-mb", "4");
        Assert.True(generated.ExitCode == 0, generated.Error);
        var manifest = System.Text.Json.JsonSerializer.Deserialize<GenerationManifest>(await File.ReadAllTextAsync(Path.Combine(archive, "manifest.json")))!;

        var ingested = await CliRunner.RunAsync("ingest", archive, "--out", data);
        Assert.True(ingested.ExitCode == 0, ingested.Error + ingested.Output);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{manifest.Records:N0} read, {manifest.KmsRecords:N0} KMS"), ingested.Output, StringComparison.Ordinal);

        var counted = await CliRunner.RunAsync("query", "select count(*) as n from kms_events", "--data", data, "--format", "csv");
        Assert.Equal(0, counted.ExitCode);
        Assert.Equal(manifest.DistinctKmsEventIds.ToString(CultureInfo.InvariantCulture), counted.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[1]);

        using var q = DatasetQuery.Open(data);
        Assert.Equal(manifest.DistinctKmsActions, await ScalarAsync(q, "select count(distinct dedupe_key) from kms_events"));
        foreach (var (date, expected) in manifest.KmsEventIdsByDate)
        {
            Assert.Equal(expected, await ScalarAsync(q, "select count(*) from kms_events where event_date = $1::DATE", date));
        }

        foreach (var (name, expected) in manifest.KmsEventsByName)
        {
            Assert.Equal(expected, await ScalarAsync(q, "select count(*) from kms_events where event_name = $1", name));
        }

        var byPrincipal = await q.QueryRowsAsync("select principal_arn, count(*) from kms_events where event_name = 'Decrypt' group by 1", CancellationToken.None);
        Assert.Equal(
            manifest.DecryptByPrincipal.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"),
            byPrincipal.Select(r => $"{r[0]}={Convert.ToInt64(r[1], CultureInfo.InvariantCulture)}").Order(StringComparer.Ordinal));

        var byKey = await q.QueryRowsAsync("select key_arn, count(*) from kms_events where event_name = 'Decrypt' and key_arn is not null group by 1", CancellationToken.None);
        Assert.Equal(
            manifest.DecryptByKey.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"),
            byKey.Select(r => $"{r[0]}={Convert.ToInt64(r[1], CultureInfo.InvariantCulture)}").Order(StringComparer.Ordinal));

        // Partitions come from eventTime, never from the delivery folders.
        Assert.Equal(0, await ScalarAsync(q, "select count(*) from kms_events where event_date <> CAST(event_time AT TIME ZONE 'UTC' AS DATE)"));
    }

    private static async Task<long> ScalarAsync(DatasetQuery q, string sql, params object?[] args) =>
        Convert.ToInt64(await q.QueryScalarAsync(sql, CancellationToken.None, args), CultureInfo.InvariantCulture);
}
