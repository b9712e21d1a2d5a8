using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Pipeline.Tests.Support;

/// <summary>Keeps every log entry (event id, level, text) so tests can assert on what the worker reported.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(int EventId, LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    private readonly List<(Func<(int EventId, LogLevel Level, string Message), bool> Match, TaskCompletionSource<string> Found)> _waiters = [];

    public int Count(int eventId) => Entries.Count(e => e.EventId == eventId);

    /// <summary>Completes with the message of the first entry, logged before or after the call, that matches.</summary>
    public Task<string> WaitForAsync(Func<(int EventId, LogLevel Level, string Message), bool> match)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (Entries.FirstOrDefault(match) is { Message: not null } entry)
            {
                found.SetResult(entry.Message);
            }
            else
            {
                _waiters.Add((match, found));
            }
        }

        return found.Task;
    }

    private void Add((int EventId, LogLevel Level, string Message) entry)
    {
        lock (_waiters)
        {
            Entries.Enqueue(entry);
            foreach (var waiter in _waiters.Where(w => w.Match(entry)).ToList())
            {
                waiter.Found.SetResult(entry.Message);
                _waiters.Remove(waiter);
            }
        }
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add((eventId.Id, logLevel, formatter(state, exception)));
    }
}
