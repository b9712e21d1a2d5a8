using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Diagnostics;
using Pipeline.Ingest.Worker;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Ingest.Worker;

public sealed class WorkerProgressTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-15T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly CapturingLoggerProvider _logs = new();
    private readonly InFlightTracker _tracker = new();
    private readonly WorkerMetrics _metrics = new();
    private readonly WorkerProgress _progress;

    public WorkerProgressTests()
    {
        _progress = new WorkerProgress(new WorkerOptions { WriterId = "w1", ProgressInterval = Interval }, _tracker, _metrics, _time, _logs.CreateLogger("worker"));
    }

    public void Dispose() => _metrics.Dispose();

    private List<string> Lines => _logs.Entries.Where(e => e.EventId == EventIds.Worker + 27).Select(e => e.Message).ToList();

    private void Tick()
    {
        _time.Advance(Interval);
        _progress.Report();
    }

    [Fact]
    public void A_progress_line_reports_totals_since_start_rates_over_the_interval_and_messages_in_flight()
    {
        _metrics.MessageReceived();
        _metrics.MessageReceived();
        _metrics.ObjectRead(3 * 1024 * 1024, 40, TimeSpan.FromSeconds(1));
        _metrics.MessageDeleted();
        _tracker.Add(new InFlightMessage(new Message { MessageId = "m2", ReceiptHandle = "r2" }, DateTime.UtcNow, DateTime.UtcNow.AddMinutes(5)));
        Tick();

        // The second interval reads 120 objects of 1 MiB: 2 objects/s and 2 MB/s, while the totals keep counting from start.
        for (var i = 0; i < 120; i++)
        {
            _metrics.ObjectRead(1024 * 1024, 1, TimeSpan.FromSeconds(1));
        }

        Tick();

        Assert.Equal(
            [
                "Worker w1 progress: 2 messages received, 1 deleted, 0 returned; 1 objects read, 3145728 bytes (compressed), 40 KMS rows since start; 0.0 objects/s, 0.05 MB/s (compressed) over the last 60 s; 1 messages in flight",
                "Worker w1 progress: 2 messages received, 1 deleted, 0 returned; 121 objects read, 128974848 bytes (compressed), 160 KMS rows since start; 2.0 objects/s, 2.00 MB/s (compressed) over the last 60 s; 1 messages in flight",
            ],
            Lines);
        Assert.All(_logs.Entries, e => Assert.Equal(LogLevel.Information, e.Level));
    }

    [Fact]
    public void An_idle_worker_logs_once_when_it_becomes_idle_and_then_stays_quiet_until_work_arrives()
    {
        Tick();
        Tick();
        Assert.Empty(Lines);

        _metrics.MessageReceived();
        _metrics.MessageDeleted();
        Tick();
        Tick();
        Tick();
        Tick();
        Assert.Equal(2, Lines.Count);
        Assert.Contains("0.0 objects/s", Lines[1], StringComparison.Ordinal);

        _metrics.MessageReceived();
        Tick();
        Assert.Equal(3, Lines.Count);
        Assert.StartsWith("Worker w1 progress: 2 messages received, 1 deleted,", Lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_in_flight_keeps_the_progress_lines_coming_though_no_count_moves()
    {
        var m = new InFlightMessage(new Message { MessageId = "slow", ReceiptHandle = "r" }, DateTime.UtcNow, DateTime.UtcNow.AddMinutes(5));
        _tracker.Add(m);
        Tick();
        Tick();
        Tick();
        Assert.Equal(3, Lines.Count);
        Assert.All(Lines, l => Assert.EndsWith("; 1 messages in flight", l, StringComparison.Ordinal));

        // Released: one line says the worker is idle, then nothing.
        _tracker.Remove(m);
        m.Dispose();
        Tick();
        Tick();
        Assert.Equal(4, Lines.Count);
        Assert.EndsWith("; 0 messages in flight", Lines[3], StringComparison.Ordinal);
    }
}
