using Microsoft.Extensions.Logging;
using Pipeline.Cli.Commands;

namespace Pipeline.Tests.Cli;

public sealed class DeferredLoggerFactoryTests
{
    [Fact]
    public void Nothing_is_built_while_nothing_is_logged_at_the_level()
    {
        var builds = 0;
        using var factory = new DeferredLoggerFactory(LogLevel.Warning, () => { builds++; return new CapturingFactory(); });
        var logger = factory.CreateLogger("Pipeline.Test");

        logger.LogInformation("file {Name} read", "a.json.gz");
        logger.LogDebug("details");

        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
        Assert.False(logger.IsEnabled(LogLevel.None));
        Assert.False(factory.IsBuilt);
        Assert.Equal(0, builds);
    }

    [Fact]
    public void The_first_message_at_the_level_builds_the_real_factory_once_and_every_message_reaches_it()
    {
        var builds = 0;
        var real = new CapturingFactory();
        using var factory = new DeferredLoggerFactory(LogLevel.Debug, () => { builds++; return real; });
        var ingest = factory.CreateLogger("Pipeline.Ingest");
        var sink = factory.CreateLogger("Pipeline.Sink");

        ingest.LogDebug("skipped {Path}", "x.zip");
        sink.LogWarning(new EventId(7), "slow flush");
        ingest.LogError("failed");

        Assert.Equal(1, builds);
        Assert.Equal(
            ["Pipeline.Ingest Debug skipped x.zip", "Pipeline.Sink Warning slow flush", "Pipeline.Ingest Error failed"],
            real.Lines);
    }

    [Fact]
    public void Disposing_disposes_the_real_factory_when_it_was_built_and_drops_later_messages()
    {
        var real = new CapturingFactory();
        var factory = new DeferredLoggerFactory(LogLevel.Warning, () => real);
        var logger = factory.CreateLogger("Pipeline.Test");
        logger.LogWarning("one");

        factory.Dispose();
        logger.LogWarning("after");

        Assert.True(real.Disposed);
        Assert.Equal(["Pipeline.Test Warning one"], real.Lines);
    }

    [Fact]
    public void Loggers_on_many_threads_share_one_real_factory()
    {
        var builds = 0;
        var real = new CapturingFactory();
        using var factory = new DeferredLoggerFactory(LogLevel.Warning, () => { Interlocked.Increment(ref builds); Thread.Sleep(20); return real; });

        Parallel.For(0, 16, i => factory.CreateLogger("Pipeline.Reader").LogWarning("object {Index}", i));

        Assert.Equal(1, builds);
        Assert.Equal(16, real.Lines.Count);
    }

    private sealed class CapturingFactory : ILoggerFactory
    {
        private readonly Lock _lock = new();

        public List<string> Lines { get; } = [];

        public bool Disposed { get; private set; }

        public ILogger CreateLogger(string categoryName) => new Capturing(this, categoryName);

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public void Dispose() => Disposed = true;

        private sealed class Capturing(CapturingFactory owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._lock)
                {
                    owner.Lines.Add($"{category} {logLevel} {formatter(state, exception)}");
                }
            }
        }
    }
}
