using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Analysis;
using Pipeline.Reporting;

namespace Pipeline.Tests.Reporting;

public sealed class ReportJsonTests
{
    [Fact]
    public void A_serialised_report_reads_back_to_the_same_json_and_severities()
    {
        var model = ReportModelSamples.Realistic();
        var json = ReportJson.Serialize(model);

        var back = ReportJson.Deserialize(json);

        Assert.Equal(json, ReportJson.Serialize(back));
        Assert.Equal(model.Findings.Select(f => f.Severity), back.Findings.Select(f => f.Severity));
        Assert.Equal(model.ReportDate, back.ReportDate);
        Assert.Equal(model.Series[0].Points, back.Series[0].Points);
        Assert.Equal(model.TopPrincipals, back.TopPrincipals);
        Assert.Equal(model.CrossAccountFlows, back.CrossAccountFlows);
    }

    [Fact]
    public void Finding_fields_use_exactly_the_snake_case_names_the_model_declares()
    {
        var root = JsonNode.Parse(ReportJson.Serialize(ReportModelSamples.Realistic()))!;
        var finding = root["findings"]![1]!.AsObject();

        string[] expected =
        [
            "kind", "severity", "title", "principal", "key_arn", "caller_account_id", "key_account_id", "event_name", "count",
            "baseline_mean", "baseline_stddev", "z_score", "p_value", "first_seen", "last_seen", "details", "event_ids",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), finding.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["report_date", "generated_at", "dataset", "baseline_days", "baseline_start", "baseline_end", "thresholds", "known_accounts", "known_organizations", "summary",
             "data_coverage", "notes", "findings", "series", "top_principals", "top_keys", "cross_account_flows"],
            root.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Severity_is_written_as_lower_case_text()
    {
        var root = JsonNode.Parse(ReportJson.Serialize(ReportModelSamples.Realistic()))!;

        var severities = root["findings"]!.AsArray().Select(f => f!["severity"]!.GetValue<string>()).ToList();

        Assert.Equal(["critical", "high", "high", "medium", "low", "info"], severities);
    }

    [Fact]
    public void Dates_are_plain_days_and_timestamps_are_utc_with_a_z_whatever_their_kind()
    {
        var model = ReportModelSamples.Realistic() with { GeneratedAt = new DateTime(2026, 11, 28, 6, 30, 0, DateTimeKind.Unspecified) };
        var root = JsonNode.Parse(ReportJson.Serialize(model))!;

        Assert.Equal("2026-11-27", root["report_date"]!.GetValue<string>());
        Assert.Equal("2026-10-30", root["baseline_start"]!.GetValue<string>());
        Assert.Equal("2026-11-28T06:30:00Z", root["generated_at"]!.GetValue<string>());
        Assert.Equal("2026-11-27T00:00:03Z", root["findings"]![1]!["first_seen"]!.GetValue<string>());
        Assert.Equal("2026-11-27", root["series"]![0]!["points"]![28]!["date"]!.GetValue<string>());
        Assert.Equal(DateTimeKind.Utc, ReportJson.Deserialize(root.ToJsonString()).GeneratedAt.Kind);
    }

    [Fact]
    public void Non_finite_doubles_are_written_as_null_and_read_back()
    {
        var model = ReportModelSamples.Realistic();
        var findings = model.Findings.ToList();
        findings[0] = findings[0] with { ZScore = double.NaN, PValue = double.NegativeInfinity, Details = new JsonObject { ["ratio"] = double.PositiveInfinity } };
        model = model with
        {
            Findings = findings,
            Series = [model.Series[0] with { BaselineStdDev = double.NaN }],
            Thresholds = new Dictionary<string, double> { ["z_score"] = double.PositiveInfinity },
        };

        var json = ReportJson.Serialize(model);
        var root = JsonNode.Parse(json)!;

        Assert.DoesNotContain("NaN", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", json, StringComparison.Ordinal);
        Assert.Null(root["findings"]![0]!["z_score"]);
        Assert.Null(root["findings"]![0]!["p_value"]);
        Assert.Null(root["findings"]![0]!["details"]!["ratio"]);
        Assert.Null(root["findings"]![4]!["z_score"]);
        Assert.Null(root["series"]![0]!["baseline_stddev"]);
        Assert.Null(root["thresholds"]!["z_score"]);
        var back = ReportJson.Deserialize(json);
        Assert.True(double.IsNaN(back.Series[0].BaselineStdDev));
        Assert.Null(back.Findings[0].ZScore);
    }

    [Fact]
    public void Markup_in_strings_is_escaped_in_the_json_text_and_survives_the_round_trip()
    {
        var model = ReportModelSamples.Hostile();
        var json = ReportJson.Serialize(model);

        Assert.DoesNotContain("<script>", json, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', json);
        Assert.Equal(ReportModelSamples.HostilePrincipal, ReportJson.Deserialize(json).Findings[0].Principal);
    }

    [Fact]
    public async Task The_file_helper_reads_what_the_writer_wrote()
    {
        var dir = Path.Combine(Path.GetTempPath(), "pipeline-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var files = await ReportWriter.WriteAsync(ReportModelSamples.Realistic(), dir, CancellationToken.None);

            var back = await ReportJson.ReadAsync(files.JsonPath, CancellationToken.None);

            Assert.Equal(Severity.Critical, back.Findings[0].Severity);
            Assert.Equal(6, back.Findings.Count);
            Assert.Throws<JsonException>(() => ReportJson.Deserialize("null"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
