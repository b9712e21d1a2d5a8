using Microsoft.Extensions.Logging;
using Pipeline.Sink;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// Removes, every <see cref="Interval"/> while the worker runs, the temporary files (<c>.tmp-…</c>) a killed process
/// left in the dataset more than <see cref="MinimumAge"/> ago: invisible to readers, but they would otherwise stay
/// until the next worker start. Younger ones may be another live writer's, so they are left.
/// </summary>
internal sealed class TempFileSweeper(IDatasetStore store, TimeProvider time, ILogger logger)
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public static readonly TimeSpan MinimumAge = TimeSpan.FromHours(1);

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        using var stop = StopTicks.On(timer, stoppingToken);
        while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                // A walk of the dataset's folders: off the timer's thread.
                var removed = await Task.Run(() => store.CleanupStaleTempFiles(MinimumAge), CancellationToken.None).ConfigureAwait(false);
                if (removed > 0)
                {
                    WorkerLog.TempFilesRemoved(logger, removed);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                WorkerLog.TempFilesNotRemoved(logger, e.Message);
            }
        }
    }
}
