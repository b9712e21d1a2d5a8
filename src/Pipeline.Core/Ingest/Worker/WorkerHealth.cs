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

    public string ToJson(DateTime nowUtc, int inFlight)
    {
        lock (_gate)
        {
            return JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["state"] = Effective().ToString(),
                ["reason"] = _outputProblem ?? _reason,
                ["written_at"] = nowUtc.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["last_receive"] = _lastReceiveUtc == default ? null : _lastReceiveUtc.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["in_flight_messages"] = inFlight,
            });
        }
    }
}
