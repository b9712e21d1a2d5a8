using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Ingest.Worker;
using Pipeline.Sink;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Ingest.Worker;

public sealed class TempFileSweeperTests : IDisposable
{
    private readonly TempDataset _dataset = new();

    public void Dispose() => _dataset.Dispose();

    [Fact]
    public async Task A_running_worker_removes_temporary_files_a_killed_writer_left_an_hour_ago_and_keeps_younger_ones()
    {
        var partition = Path.Combine(_dataset.Root, "kms_events", "event_date=2026-01-15");
        Directory.CreateDirectory(partition);
        var stale = Path.Combine(partition, DatasetLayout.TempPrefix + "stale");
        var young = Path.Combine(partition, DatasetLayout.TempPrefix + "young");
        await File.WriteAllTextAsync(stale, "x");
        await File.WriteAllTextAsync(young, "x");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var stop = new CancellationTokenSource();
        var run = new TempFileSweeper(_dataset.Store, time, factory.CreateLogger("sweeper")).RunAsync(stop.Token);

        Assert.True(File.Exists(stale), "removed before its interval");
        time.Advance(TempFileSweeper.Interval);
        var removed = await logs.WaitForAsync(e => e.EventId == 6033).WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("Removed 1 temporary files", removed, StringComparison.Ordinal);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(young));
    }
}
