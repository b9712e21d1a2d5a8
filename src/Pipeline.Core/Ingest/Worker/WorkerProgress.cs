using Microsoft.Extensions.Logging;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// Logs a progress line every <see cref="WorkerOptions.ProgressInterval"/>: the exit summary's counts so far, the
/// object and byte rates over the interval, and the messages in flight. An interval in which nothing happened and
/// nothing is in flight is logged once (the worker became idle), then the worker stays quiet until work arrives.
/// </summary>
internal sealed class WorkerProgress(WorkerOptions options, InFlightTracker tracker, WorkerMetrics metrics, TimeProvider time, ILogger logger)
{
    private WorkerTotals _last;
    private long _lastAt = time.GetTimestamp();

    // A worker that has not done anything yet has nothing to report: it starts quiet.
    private bool _quiet = true;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        _lastAt = time.GetTimestamp();
        using var timer = new PeriodicTimer(options.ProgressInterval, time);
        using var stop = StopTicks.On(timer, stoppingToken);
        try
        {
            while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false))
            {
                Report();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One tick: logs unless the worker stayed idle since the last line said so; public for tests.</summary>
    public void Report()
    {
        var now = time.GetTimestamp();
        var totals = metrics.Totals;
        var inFlight = tracker.Count;
        var idle = totals == _last && inFlight == 0;
        if (idle && _quiet)
        {
            _lastAt = now;
            return;
        }

        // Rates over the time that really passed: a tick delayed on a busy machine must not inflate them.
        var seconds = time.GetElapsedTime(_lastAt, now).TotalSeconds;
        var objectsPerSecond = seconds > 0 ? (totals.ObjectsRead - _last.ObjectsRead) / seconds : 0;
        var megabytesPerSecond = seconds > 0 ? (totals.BytesRead - _last.BytesRead) / (1024.0 * 1024.0) / seconds : 0;
        WorkerLog.Progress(logger, options.WriterId, totals.MessagesReceived, totals.MessagesDeleted, totals.MessagesReturned, totals.ObjectsRead, totals.BytesRead, totals.KmsRows,
            objectsPerSecond, megabytesPerSecond, seconds, inFlight);
        _last = totals;
        _lastAt = now;
        _quiet = idle;
    }
}
