using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Cli;

/// <summary>With <c>PIPELINE_LOG_FORMAT=json</c> (the container's setting) everything the commands report is a JSON line, timed in UTC.</summary>
public sealed class JsonLogTests : IDisposable
{
    private readonly TempDataset _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Root => _folder.Root;

    [Fact]
    public async Task A_one_off_commands_json_log_lines_are_timed_in_utc_whatever_the_local_time_zone()
    {
        var input = Path.Combine(Root, "in");
        Directory.CreateDirectory(input);
        var whole = new MemoryStream();
        using (var gzip = new GZipStream(whole, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write("""{"Records":[{"eventSource":"kms.amazonaws.com","eventName":"Decrypt"}]}"""u8);
        }

        // Cut short, so that ingest logs the file's rejection.
        await File.WriteAllBytesAsync(Path.Combine(input, "111122223333_CloudTrail_us-east-1_20260114T0000Z_abc.json.gz"), whole.ToArray()[..20]);
        var before = DateTime.UtcNow;
        Assert.True(File.Exists("/usr/share/zoneinfo/Asia/Tokyo"), "needs the tzdata package (.ci/run installs it): without it TZ would change nothing and the test could not fail");

        var (exit, _, stderr) = await PipelineProcess.RunAsync(
            ["ingest", input, "--out", Path.Combine(Root, "out")],
            new Dictionary<string, string> { ["PIPELINE_LOG_FORMAT"] = "json", ["TZ"] = "Asia/Tokyo" },
            TimeSpan.FromMinutes(2));

        Assert.Equal(1, exit);
        var line = stderr.Split('\n').First(l => l.StartsWith('{'));
        using var json = JsonDocument.Parse(line);
        Assert.Equal("Error", json.RootElement.GetProperty("LogLevel").GetString());
        var at = DateTime.Parse(json.RootElement.GetProperty("Timestamp").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        Assert.InRange(at, before.AddSeconds(-5), DateTime.UtcNow.AddSeconds(5));
    }

    [Fact]
    public async Task A_worker_whose_config_file_is_missing_says_so_in_a_json_line_when_the_logs_are_json()
    {
        var missing = Path.Combine(Root, "nope.json");

        var (exit, _, stderr) = await PipelineProcess.RunAsync(
            ["worker", "--config", missing],
            new Dictionary<string, string> { ["PIPELINE_LOG_FORMAT"] = "json" },
            TimeSpan.FromMinutes(2));

        Assert.Equal(2, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        Assert.Equal("Critical", json.RootElement.GetProperty("LogLevel").GetString());
        Assert.Contains($"--config file '{missing}' does not exist", json.RootElement.GetProperty("Message").GetString(), StringComparison.Ordinal);
    }
}
