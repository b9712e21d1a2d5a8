using System.Text.Json;

namespace Pipeline.Ingest.Worker;

/// <summary>Health states a container orchestrator acts on.</summary>
internal enum WorkerState
{
    Starting,
    Running,
    Degraded,
    Stopping,
    Stopped,
    Failed,
}

/// <summary>
/// The worker's health, written to a small JSON file every few seconds so that <c>pipeline health</c> (an exec
/// probe, works with a read-only root filesystem when the file is on a tmpfs) can report it.
/// </summary>
/// <param name="stallTimeout">
/// How long without progress (<see cref="Progressed"/>) a starting or running worker may go before it reports itself
/// <see cref="WorkerState.Degraded"/>; zero never (<see cref="WorkerOptions.StallTimeout"/>).
/// </param>
internal sealed class WorkerHealth(TimeSpan stallTimeout = default)
{
    private readonly object _gate = new();
    private WorkerState _state = WorkerState.Starting;
    private string? _reason;
    private DateTime _lastReceiveUtc;
    private long _lastProgressTicks; // UTC ticks of the last receive, object read or publication; 0 before the loop starts
    private string? _outputProblem;

    /// <summary>
    /// Notes that the worker made progress: a receive completed (with or without messages), a block of an object was
    /// read, rows were published. Called for every block read, so it takes no lock.
    /// </summary>
    public void Progressed(DateTime utc) => Interlocked.Exchange(ref _lastProgressTicks, utc.Ticks);

    /// <summary>How long the worker has gone without progress when that is longer than the stall timeout, else null.</summary>
    public TimeSpan? StalledFor(DateTime nowUtc)
    {
        var last = Interlocked.Read(ref _lastProgressTicks);
        if (stallTimeout <= TimeSpan.Zero || last == 0)
        {
            return null;
        }

        var quiet = nowUtc - new DateTime(last, DateTimeKind.Utc);
        return quiet > stallTimeout ? quiet : null;
    }

    /// <summary>Whether the worker reports itself Degraded at <paramref name="nowUtc"/> because it stalled (not for another reason).</summary>
    public bool ReportsStall(DateTime nowUtc)
    {
        lock (_gate)
        {
            return _state is WorkerState.Running or WorkerState.Starting && _outputProblem is null && StalledFor(nowUtc) is not null;
        }
    }

    /// <summary>Whether the worker is starting or running and nothing degrades it.</summary>
    public bool IsWorking(DateTime nowUtc) => StateAt(nowUtc) is WorkerState.Running or WorkerState.Starting;

    /// <summary>The state the health file reports at <paramref name="nowUtc"/>.</summary>
    public WorkerState StateAt(DateTime nowUtc)
    {
        lock (_gate)
        {
            return Effective(nowUtc, out _);
        }
    }

    /// <summary>Marks the output as failing (the worker is degraded until it is cleared) or, with null, as working again.</summary>
    public void SetOutputProblem(string? problem)
    {
        lock (_gate)
        {
            _outputProblem = problem;
        }
    }

    public void Set(WorkerState state, string? reason = null)
    {
        lock (_gate)
        {
            if (_state == WorkerState.Failed)
            {
                return;
            }

            _state = state;
            _reason = reason;
        }
    }

    public void ReceiveSucceeded(DateTime utc)
    {
        Progressed(utc);
        lock (_gate)
        {
            _lastReceiveUtc = utc;
            if (_state is WorkerState.Starting or WorkerState.Degraded)
            {
                _state = WorkerState.Running;
                _reason = null;
            }
        }
    }

    private WorkerState Effective(DateTime nowUtc, out string? reason)
    {
        reason = _outputProblem ?? _reason;
        if (_state is not (WorkerState.Running or WorkerState.Starting))
        {
            return _state;
        }

        if (_outputProblem is not null)
        {
            return WorkerState.Degraded;
        }

        if (StalledFor(nowUtc) is { } quiet)
        {
            reason = string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"stalled: no receive completed, no object byte read and no rows published for {quiet.TotalSeconds:F0} s (Worker:StallTimeout {stallTimeout}); the receive loop or the reads are stuck: restart the worker (its messages come back after their visibility timeout)");
            return WorkerState.Degraded;
        }

        return _state;
    }

    /// <summary>
    /// The health file's JSON. Written with <see cref="Utf8JsonWriter"/>: the serializer's reflection set-up for a
    /// dictionary was ~20 ms of CPU at the worker's start, before its first receive.
    /// </summary>
    public string ToJson(DateTime nowUtc, int inFlight)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            lock (_gate)
            {
                var state = Effective(nowUtc, out var reason);
                var lastProgress = Interlocked.Read(ref _lastProgressTicks);
                json.WriteStartObject();
                json.WriteString("state", state.ToString());
                json.WriteString("reason", reason);
                json.WriteString("written_at", nowUtc.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteString("last_receive", _lastReceiveUtc == default ? null : _lastReceiveUtc.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteString("last_progress", lastProgress == 0 ? null : new DateTime(lastProgress, DateTimeKind.Utc).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteNumber("in_flight_messages", inFlight);
                json.WriteEndObject();
            }
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
