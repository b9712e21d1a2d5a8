namespace Pipeline.Ingest.Worker;

/// <summary>
/// Ends a <see cref="PeriodicTimer"/> loop when a token is cancelled by disposing the timer, so the pending
/// <see cref="PeriodicTimer.WaitForNextTickAsync"/> returns false. Waiting with the token instead completes the wait
/// with an <see cref="OperationCanceledException"/> whose stack trace, with file and line information, is captured:
/// ~6 ms of CPU for the first one, at every worker's stop.
/// </summary>
internal static class StopTicks
{
    /// <summary>Disposes <paramref name="timer"/> when <paramref name="stop"/> is cancelled (at once if it already is); dispose the result when the loop ends.</summary>
    public static CancellationTokenRegistration On(PeriodicTimer timer, CancellationToken stop) =>
        stop.Register(static t => ((PeriodicTimer)t!).Dispose(), timer);
}
