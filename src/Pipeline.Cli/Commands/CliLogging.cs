using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Pipeline.Cli.Commands;

/// <summary>Logging for one-shot commands: human-readable lines on stderr, or JSON when <c>PIPELINE_LOG_FORMAT=json</c> (containers).</summary>
internal static class CliLogging
{
    /// <summary>Builds and drops a console logging stack on the thread pool, so the worker's host builds its own quickly (see Program.Main).</summary>
    public static void Warm() => _ = Task.Run(() =>
    {
        try
        {
            Build(verbose: false).Dispose();
        }
#pragma warning disable CA1031 // best effort: the real factory reports any problem
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    });

    /// <summary>
    /// A factory whose console logging stack is built when the first message at or above the level is logged
    /// (Warning, or Debug with <paramref name="verbose"/>). Most runs of a command log nothing but their summary, and
    /// building the stack (dependency injection, options, the console formatter and its thread) was ~15 ms of CPU at
    /// every start.
    /// </summary>
    public static ILoggerFactory Create(bool verbose) => new DeferredLoggerFactory(verbose ? LogLevel.Debug : LogLevel.Warning, () => Build(verbose));

    private static ILoggerFactory Build(bool verbose) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning);
        builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        if (string.Equals(Environment.GetEnvironmentVariable("PIPELINE_LOG_FORMAT"), "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }
    });
}

/// <summary>
/// Answers <see cref="ILogger.IsEnabled"/> from a minimum level alone and builds the real factory (once, on any thread)
/// when the first enabled message arrives; each logger then forwards to its real counterpart.
/// </summary>
internal sealed class DeferredLoggerFactory(LogLevel minimum, Func<ILoggerFactory> build) : ILoggerFactory
{
    private readonly Lazy<ILoggerFactory> _real = new(build, LazyThreadSafetyMode.ExecutionAndPublication);
    private bool _disposed;

    /// <summary>Whether the real factory has been built (a message was logged).</summary>
    public bool IsBuilt => _real.IsValueCreated;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => _real.Value.AddProvider(provider);

    public void Dispose()
    {
        _disposed = true;
        if (_real.IsValueCreated)
        {
            _real.Value.Dispose(); // flushes the console logger's queue
        }
    }

    private bool IsEnabled(LogLevel level) => level >= minimum && level != LogLevel.None && !_disposed;

    private sealed class Logger(DeferredLoggerFactory factory, string category) : ILogger
    {
        private ILogger? _real;

        private ILogger Real => Volatile.Read(ref _real) ?? Interlocked.CompareExchange(ref _real, factory._real.Value.CreateLogger(category), null) ?? _real;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => Real.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => factory.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (factory.IsEnabled(logLevel))
            {
                Real.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
