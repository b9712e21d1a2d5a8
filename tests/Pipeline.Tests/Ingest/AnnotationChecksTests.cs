using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pipeline.Analysis;
using Pipeline.Ingest;
using Pipeline.Ingest.Worker;
using Pipeline.Parsing;
using Pipeline.Sink;

namespace Pipeline.Tests.Ingest;

public sealed class AnnotationChecksTests
{
    // Every [Range] of each settings type broken (below its minimum or above its maximum), and each type's defaults.
    private static object[] Settings(string which) => which switch
    {
        "sink out of range" => [new SinkOptions { FlushBytes = 1, FlushRows = 0, FlushAge = TimeSpan.FromHours(7), SpillBytes = 5L << 30, MaxConcurrentFlushes = 65, RowGroupRows = 10 }],
        "reader out of range" => [new ReaderOptions { MaxDecompressedBytes = 0, MaxRecordBytes = 1, BufferBytes = int.MaxValue, MaxDepth = 0 }],
        "report out of range" => [new AnalysisOptions { BaselineDays = 6, MinBaselineDays = 0, ZThreshold = 0.5, MinCount = 0, MinStdDev = 0, PoissonStdDevFactor = 101, MaxPValue = 1.5, MinFailedCalls = 2_000_000, NewPrincipalLookbackDays = 4000 }],
        "sink defaults" => [new SinkOptions()],
        "reader defaults" => [new ReaderOptions()],
        "report defaults" => [new AnalysisOptions()],
        _ => throw new ArgumentOutOfRangeException(nameof(which)),
    };

    [Theory]
    [InlineData("sink out of range", 6)]
    [InlineData("reader out of range", 4)]
    [InlineData("report out of range", 9)]
    [InlineData("sink defaults", 0)]
    [InlineData("reader defaults", 0)]
    [InlineData("report defaults", 0)]
    public void Checks_give_the_same_results_as_the_data_annotations_validator(string which, int expectedFailures)
    {
        var options = Settings(which)[0];
        var expected = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), expected, validateAllProperties: true);

        var actual = AnnotationChecks.Check(options);

        Assert.Equal(expectedFailures, expected.Count);
        Assert.Equal(
            expected.Select(r => (string.Join(",", r.MemberNames), r.ErrorMessage)),
            actual.Select(r => (string.Join(",", r.MemberNames), r.ErrorMessage)));
    }

    [Fact]
    public void A_time_range_names_its_bounds()
    {
        var failure = Assert.Single(AnnotationChecks.Check(new SinkOptions { FlushAge = TimeSpan.Zero }));

        Assert.Equal(["FlushAge"], failure.MemberNames);
        Assert.Equal("The field FlushAge must be between 00:00:01 and 06:00:00.", failure.ErrorMessage);
    }

    [Fact]
    public void The_worker_host_refuses_sink_and_reader_settings_out_of_range()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sink:FlushRows"] = "0",
            ["Reader:MaxDepth"] = "2",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddPipelineWorker(configuration).BuildServiceProvider();

        var sink = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SinkOptions>>().Value);
        var reader = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ReaderOptions>>().Value);

        Assert.Equal(["SinkOptions.FlushRows: The field FlushRows must be between 1 and 50000000."], sink.Failures);
        Assert.Equal(["ReaderOptions.MaxDepth: The field MaxDepth must be between 8 and 1024."], reader.Failures);
    }

    [Fact]
    public void Settings_bound_by_generated_code_take_every_kind_of_value()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sink:FlushBytes"] = "2097152",
            ["Sink:FlushAge"] = "00:00:30",
            ["Report:ZThreshold"] = "5.5",
            ["Report:WeekdayAware"] = "false",
            ["Report:KnownAccounts:0"] = "111122223333",
            ["Report:KnownAccounts:1"] = "444455556666",
            ["Report:SeverityOverrides:root_user_activity"] = "low",
        }).Build();
        var problems = new List<string>();

        var sink = SettingsBinder.Sink(configuration, problems);
        var report = SettingsBinder.Analysis(configuration, "Report", problems);

        Assert.Empty(problems);
        Assert.Equal(2_097_152, sink.FlushBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), sink.FlushAge);
        Assert.Equal(5.5, report.ZThreshold);
        Assert.False(report.WeekdayAware);
        Assert.Equal(["111122223333", "444455556666"], report.KnownAccounts);
        Assert.Equal("low", report.SeverityOverrides["root_user_activity"]);
    }
}
