using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Pipeline.Ingest.Worker;

/// <summary>Rewrites the health file every few seconds (atomically: temp file then rename) for <c>pipeline health</c>.</summary>
internal sealed class HealthFileWriter(IOptions<WorkerOptions> options, WorkerHealth health, InFlightTracker tracker, TimeProvider time, ILogger<HealthFileWriter> logger) : BackgroundService
{
    private readonly Lock _gate = new();
    private bool _failing;
    private bool _stalled;

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        using var stop = StopTicks.On(timer, stoppingToken);
        do
        {
            Write();
        }
        while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false));

        Write();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        Write();
    }

    private void Write()
    {
        var path = options.Value.HealthFile;
        lock (_gate)
        {
            var now = time.GetUtcNow().UtcDateTime;
            try
            {
                var temp = path + ".tmp";
                File.WriteAllText(temp, health.ToJson(now, tracker.Count));
                File.Move(temp, path, overwrite: true);
                if (_failing)
                {
                    _failing = false;
                    WorkerLog.HealthFileWrittenAgain(logger, path);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The health file is advisory: the worker keeps working, but says once why a health check will fail.
                if (!_failing)
                {
                    _failing = true;
                    WorkerLog.HealthFileNotWritten(logger, path, e.Message);
                }
            }

            // After the file: when the line says the worker stalled, the file already says Degraded.
            NoteStall(now);
        }
    }

    // Says once when the worker starts reporting a stall, and once when it makes progress again.
    private void NoteStall(DateTime now)
    {
        if (health.ReportsStall(now))
        {
            if (!_stalled)
            {
                _stalled = true;
                WorkerLog.Stalled(logger, health.StalledFor(now)?.TotalSeconds ?? 0, options.Value.StallTimeout);
            }
        }
        else if (_stalled && health.IsWorking(now))
        {
            _stalled = false;
            WorkerLog.StallEnded(logger);
        }
    }
}
