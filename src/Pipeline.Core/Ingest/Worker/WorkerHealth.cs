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
internal sealed class WorkerHealth
{
    private readonly object _gate = new();
    private WorkerState _state = WorkerState.Starting;
    private string? _reason;
    private DateTime _lastReceiveUtc;
    private string? _outputProblem;

    public WorkerState State
    {
        get
        {
            lock (_gate)
            {
                return Effective();
            }
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

    private WorkerState Effective() => _outputProblem is not null && _state is WorkerState.Running or WorkerState.Starting ? WorkerState.Degraded : _state;

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
                json.WriteStartObject();
                json.WriteString("state", Effective().ToString());
                json.WriteString("reason", _outputProblem ?? _reason);
                json.WriteString("written_at", nowUtc.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteString("last_receive", _lastReceiveUtc == default ? null : _lastReceiveUtc.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteNumber("in_flight_messages", inFlight);
                json.WriteEndObject();
            }
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
