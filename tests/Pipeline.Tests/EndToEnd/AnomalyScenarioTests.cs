using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Analysis;
using Pipeline.Generation;
using Pipeline.Ingest;
using Pipeline.Parsing;
using Pipeline.Query;
using Pipeline.Reporting;
using Pipeline.Sink;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.EndToEnd;

/// <summary>A generated organization trail with planted incidents and decoys, through ingest and the report, scored against its answer key.</summary>
public sealed class AnomalyScenarioFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "pipeline-scenario", Guid.NewGuid().ToString("N"));

    internal ScenarioAnswerKey AnswerKey { get; private set; } = new();

    internal ReportModel Report { get; private set; } = null!;

    public string ReportDirectory => Path.Combine(Root, "report");

    public async Task InitializeAsync()
    {
        var archive = Path.Combine(Root, "archive");
        var data = Path.Combine(Root, "data");
        var manifest = await ArchiveGenerator.GenerateAsync(
            new GeneratorOptions
            {
                OutputDirectory = archive, Days = 35, EndDate = new DateOnly(2026, 1, 12), Seed = 42, TargetUncompressedBytes = 4L * 1024 * 1024,
                DeliveryMinutes = 60, Scenario = GeneratorScenario.Anomalies,
            },
            null,
            CancellationToken.None);
        AnswerKey = manifest.Scenario!;
        var runner = new LocalIngestRunner(new IngestOptions { WriterId = "scenario" }, new ReaderOptions(), new SinkOptions(), new LocalDatasetStore(data), TimeProvider.System, NullLoggerFactory.Instance);
        Assert.Empty((await runner.RunAsync(LocalArchiveWalker.Walk([archive]), CancellationToken.None)).Errors);
        using var query = DatasetQuery.Open(data);
        Report = await new DailyReportBuilder(new AnalysisOptions(), TimeProvider.System).BuildAsync(query, new DateOnly(2026, 1, 12), CancellationToken.None);
        await ReportWriter.WriteAsync(Report, ReportDirectory, CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }
}

public sealed class AnomalyScenarioTests(AnomalyScenarioFixture fixture) : IClassFixture<AnomalyScenarioFixture>
{
    private static bool Matches(Finding f, ScenarioExpectation e) =>
        f.Kind == e.Kind
        && (e.Principal is null || f.Principal == e.Principal)
        && (e.KeyArn is null || f.KeyArn == e.KeyArn)
        && (e.AccountId is null || f.CallerAccountId == e.AccountId);

    public static TheoryData<string> Kinds() => new(FindingKind.All);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_planted_incident_is_reported_with_its_kind_principal_key_and_count(string kind)
    {
        var expected = Assert.Single(fixture.AnswerKey.Expected, e => e.Kind == kind);
        var found = fixture.Report.Findings.Where(f => Matches(f, expected)).ToList();
        Assert.True(found.Count == 1, $"{kind}: expected one finding for {expected.Principal} / {expected.KeyArn}; report has:\n" + string.Join("\n", fixture.Report.Findings.Select(f => $"{f.Kind} {f.Principal} {f.KeyArn} {f.Count}")));
        Assert.Equal(expected.Count, found[0].Count);
    }

    [Fact]
    public void A_finding_on_one_key_names_the_account_that_owns_it()
    {
        var onKeys = fixture.Report.Findings.Where(f => f.KeyArn is { } k && k.Contains(":key/", StringComparison.Ordinal)).ToList();
        Assert.Contains(onKeys, f => f.Kind == FindingKind.AccessDeniedBurst);
        Assert.All(onKeys, f => Assert.True(f.KeyArn!.Split(':')[4] == f.KeyAccountId, $"{f.Kind} on {f.KeyArn} names key account {f.KeyAccountId ?? "none"}"));
    }

    [Fact]
    public async Task An_allowed_principal_makes_no_volume_finding_neither_for_itself_nor_for_its_key()
    {
        var planted = Assert.Single(fixture.AnswerKey.Expected, e => e.Kind == FindingKind.DecryptVolumeAnomaly);
        using var query = DatasetQuery.Open(Path.Combine(fixture.Root, "data"));
        var options = new AnalysisOptions { AllowedPrincipals = [planted.Principal!] };

        var findings = await VolumeAnomalies.FindAsync(query, new DateOnly(2026, 1, 12), options, CancellationToken.None);

        Assert.DoesNotContain(findings, f => f.Finding.Principal == planted.Principal || (f.Finding.KeyArn == planted.KeyArn && f.Finding.EventName == "Decrypt"));
        Assert.Contains(findings, f => f.Finding.Kind == FindingKind.GenerateDataKeyVolumeAnomaly); // the rest is still scored
    }

    [Fact]
    public void No_decoy_is_reported()
    {
        foreach (var decoy in fixture.AnswerKey.Decoys)
        {
            var hits = fixture.Report.Findings.Where(f => decoy.KindsNotExpected.Contains(f.Kind) && f.Principal == decoy.Principal && (decoy.KeyArn is null || f.KeyArn is null || f.KeyArn == decoy.KeyArn)).ToList();
            Assert.True(hits.Count == 0, $"decoy reported: {decoy.Description}: {string.Join(", ", hits.Select(h => h.Title))}");
        }
    }

    [Fact]
    public void Nothing_is_reported_that_was_not_planted()
    {
        // A principal planted as new is, necessarily, also new for its key and possibly an outside caller.
        var plantedPrincipals = fixture.AnswerKey.Expected.Where(e => e.Kind is FindingKind.NewPrincipal or FindingKind.CrossAccountDecrypt).Select(e => e.Principal).ToHashSet();
        var unexpected = fixture.Report.Findings
            .Where(f => !fixture.AnswerKey.Expected.Any(e => Matches(f, e)))
            .Where(f => !(f.Kind is FindingKind.NewPrincipal or FindingKind.NewPrincipalForKey && plantedPrincipals.Contains(f.Principal)))
            .ToList();
        Assert.True(unexpected.Count == 0, "unexpected findings:\n" + string.Join("\n", unexpected.Select(f => $"{f.Kind}: {f.Title}")));
    }

    [Fact]
    public void The_report_is_written_in_three_formats_with_a_chart_per_volume_finding()
    {
        Assert.True(File.Exists(Path.Combine(fixture.ReportDirectory, "report.json")));
        Assert.True(File.Exists(Path.Combine(fixture.ReportDirectory, "report.md")));
        var html = File.ReadAllText(Path.Combine(fixture.ReportDirectory, "report.html"));
        var volume = fixture.Report.Findings.Count(f => f.Kind is FindingKind.DecryptVolumeAnomaly or FindingKind.GenerateDataKeyVolumeAnomaly or FindingKind.CryptoVolumeAnomaly);
        Assert.Equal(3, volume);
        Assert.Equal(volume, fixture.Report.Series.Count);
        Assert.Equal(volume, html.Split("class=\"series-chart\"").Length - 1);
        Assert.All(fixture.Report.Series, s => Assert.Equal(fixture.Report.BaselineDays + 1, s.Points.Count));
    }
}
