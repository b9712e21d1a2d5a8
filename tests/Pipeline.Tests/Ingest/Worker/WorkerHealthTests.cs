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

        Assert.Equal("""{"state":"Starting","reason":null,"written_at":"2026-11-30T07:27:56.0910000Z","last_receive":null,"last_progress":null,"in_flight_messages":0}""", json);
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
            ["last_progress"] = Now.AddSeconds(-3).ToString("O", CultureInfo.InvariantCulture),
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

        var (exit, output) = await HealthCommandAsync(health);

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

    [Fact]
    public void A_worker_without_progress_for_longer_than_the_stall_timeout_reports_itself_degraded_until_it_progresses()
    {
        var health = new WorkerHealth(TimeSpan.FromMinutes(5));
        health.ReceiveSucceeded(Now);

        Assert.Equal(WorkerState.Running, health.StateAt(Now.AddMinutes(5)));
        Assert.False(health.ReportsStall(Now.AddMinutes(5)));
        Assert.Equal(WorkerState.Degraded, health.StateAt(Now.AddMinutes(5).AddSeconds(1)));
        Assert.True(health.ReportsStall(Now.AddMinutes(6)));
        using (var json = JsonDocument.Parse(health.ToJson(Now.AddMinutes(6), 8)))
        {
            Assert.Equal("Degraded", json.RootElement.GetProperty("state").GetString());
            Assert.Contains("for 360 s (Worker:StallTimeout 00:05:00)", json.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Equal(Now.ToString("O", CultureInfo.InvariantCulture), json.RootElement.GetProperty("last_progress").GetString());
        }

        // A block of an object read is progress, like a receive.
        health.Progressed(Now.AddMinutes(6));
        Assert.Equal(WorkerState.Running, health.StateAt(Now.AddMinutes(7)));
        Assert.Contains("\"reason\":null", health.ToJson(Now.AddMinutes(7), 8), StringComparison.Ordinal);
    }

    [Fact]
    public void An_idle_worker_whose_long_polls_complete_never_stalls_and_a_stopped_one_is_not_called_stalled()
    {
        var health = new WorkerHealth(TimeSpan.FromSeconds(50));
        for (var s = 0; s <= 3600; s += 20)
        {
            health.ReceiveSucceeded(Now.AddSeconds(s));
            Assert.Equal(WorkerState.Running, health.StateAt(Now.AddSeconds(s + 19)));
        }

        health.Set(WorkerState.Stopped);
        Assert.Equal(WorkerState.Stopped, health.StateAt(Now.AddHours(5)));
        Assert.False(health.ReportsStall(Now.AddHours(5)));
    }

    [Fact]
    public void A_worker_that_never_completes_its_first_receive_stalls_from_when_its_loop_started()
    {
        var health = new WorkerHealth(TimeSpan.FromMinutes(1));
        Assert.Equal(WorkerState.Starting, health.StateAt(Now.AddHours(1))); // the loop has not started: nothing to time

        health.Progressed(Now); // the receive loop starts
        Assert.Equal(WorkerState.Starting, health.StateAt(Now.AddSeconds(59)));
        Assert.Equal(WorkerState.Degraded, health.StateAt(Now.AddSeconds(61)));
    }

    [Fact]
    public void An_output_problem_is_the_reason_given_even_when_the_worker_also_stalls()
    {
        var health = new WorkerHealth(TimeSpan.FromMinutes(1));
        health.ReceiveSucceeded(Now);
        health.SetOutputProblem("output cannot be written: disk full");

        Assert.False(health.ReportsStall(Now.AddMinutes(10)));
        Assert.Contains("\"reason\":\"output cannot be written: disk full\"", health.ToJson(Now.AddMinutes(10), 0), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_health_command_calls_a_stalled_worker_unhealthy()
    {
        var health = new WorkerHealth(TimeSpan.FromMinutes(1));
        health.ReceiveSucceeded(DateTime.UtcNow.AddMinutes(-2));

        var (exit, output) = await HealthCommandAsync(health);

        Assert.Equal(1, exit);
        Assert.Contains("Worker:StallTimeout", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stall_is_logged_once_when_it_starts_and_once_when_progress_resumes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pipeline-health-stall-{Guid.NewGuid():N}.json");
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var time = new FakeTimeProvider(Now);
        var health = new WorkerHealth(TimeSpan.FromSeconds(30));
        health.ReceiveSucceeded(Now);
        using var writer = new HealthFileWriter(Options.Create(new WorkerOptions { HealthFile = path, StallTimeout = TimeSpan.FromSeconds(30) }), health, new InFlightTracker(), time, factory.CreateLogger<HealthFileWriter>());
        try
        {
            await writer.StartAsync(CancellationToken.None);
            for (var i = 0; i < 8; i++)
            {
                time.Advance(HealthFileWriter.Interval); // 40 s without progress: stalled from the seventh tick on
                await Task.Delay(20);
            }

            var stalled = await logs.WaitForAsync(e => e.EventId == 6035).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("Worker:StallTimeout 00:00:30", stalled, StringComparison.Ordinal);
            Assert.Contains("\"state\":\"Degraded\"", await File.ReadAllTextAsync(path), StringComparison.Ordinal);

            health.Progressed(time.GetUtcNow().UtcDateTime);
            time.Advance(HealthFileWriter.Interval);
            await logs.WaitForAsync(e => e.EventId == 6036).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(1, logs.Count(6035));
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
            File.Delete(path);
        }
    }

    // Writes the health file as the worker would now and runs `pipeline health` on it.
    private async Task<(int Exit, string Output)> HealthCommandAsync(WorkerHealth health)
    {
        await File.WriteAllTextAsync(_file, health.ToJson(DateTime.UtcNow, 2));
        var (exit, output, _) = await CliRunner.RunAsync("health", "--file", _file);
        return (exit, output);
    }

    private static HealthFileWriter NewWriter(string path, TimeProvider time, ILoggerFactory factory) =>
        new(Options.Create(new WorkerOptions { HealthFile = path }), new WorkerHealth(), new InFlightTracker(), time, factory.CreateLogger<HealthFileWriter>());
}
