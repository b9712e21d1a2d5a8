using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Ingest.Worker;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Ingest.Worker;

public sealed class WorkerHealthTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 11, 30, 7, 27, 56, 91, DateTimeKind.Utc);
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"pipeline-health-json-{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void A_starting_worker_writes_every_field_with_nulls_for_what_it_does_not_know_yet()
    {
        var json = new WorkerHealth().ToJson(Now, 0);

        Assert.Equal("""{"state":"Starting","reason":null,"written_at":"2026-11-30T07:27:56.0910000Z","last_receive":null,"in_flight_messages":0}""", json);
    }

    [Fact]
    public void The_json_is_what_the_serializer_writes_for_the_same_values_escapes_included()
    {
        var health = new WorkerHealth();
        health.ReceiveSucceeded(Now.AddSeconds(-3));
        health.Set(WorkerState.Degraded, "S3 said \"SlowDown\" <503> for café/été + retries");

        var json = health.ToJson(Now, 7);

        var expected = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["state"] = "Degraded",
            ["reason"] = "S3 said \"SlowDown\" <503> for café/été + retries",
            ["written_at"] = Now.ToString("O", CultureInfo.InvariantCulture),
            ["last_receive"] = Now.AddSeconds(-3).ToString("O", CultureInfo.InvariantCulture),
            ["in_flight_messages"] = 7,
        });
        Assert.Equal(expected, json);
    }

    [Fact]
    public async Task The_health_command_reads_what_the_worker_writes()
    {
        var health = new WorkerHealth();
        health.Set(WorkerState.Running);
        health.ReceiveSucceeded(DateTime.UtcNow);
        await File.WriteAllTextAsync(_file, health.ToJson(DateTime.UtcNow, 2));

        var (exit, output, _) = await CliRunner.RunAsync("health", "--file", _file);

        Assert.Equal(0, exit);
        Assert.StartsWith("healthy", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_health_file_that_cannot_be_written_is_reported_once_naming_the_file_and_the_setting()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"pipeline-health-missing-{Guid.NewGuid():N}");
        var path = Path.Combine(folder, "health.json");
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        using var writer = NewWriter(path, new FakeTimeProvider(Now), factory);

        await writer.StartAsync(CancellationToken.None);
        var warning = await logs.WaitForAsync(e => e.EventId == 6029).WaitAsync(TimeSpan.FromSeconds(30));
        await writer.StopAsync(CancellationToken.None); // two more writes, both failing

        Assert.Contains(path, warning, StringComparison.Ordinal);
        Assert.Contains("Worker:HealthFile", warning, StringComparison.Ordinal);
        Assert.Equal(1, logs.Count(6029));
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task A_health_file_written_again_after_a_failure_says_so()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"pipeline-health-late-{Guid.NewGuid():N}");
        var path = Path.Combine(folder, "health.json");
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var time = new FakeTimeProvider(Now);
        using var writer = NewWriter(path, time, factory);
        try
        {
            await writer.StartAsync(CancellationToken.None);
            await logs.WaitForAsync(e => e.EventId == 6029).WaitAsync(TimeSpan.FromSeconds(30));

            Directory.CreateDirectory(folder);
            time.Advance(HealthFileWriter.Interval);
            var recovered = await logs.WaitForAsync(e => e.EventId == 6030).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Contains(path, recovered, StringComparison.Ordinal);
            Assert.Contains("\"state\":\"Starting\"", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static HealthFileWriter NewWriter(string path, TimeProvider time, ILoggerFactory factory) =>
        new(Options.Create(new WorkerOptions { HealthFile = path }), new WorkerHealth(), new InFlightTracker(), time, factory.CreateLogger<HealthFileWriter>());
}
