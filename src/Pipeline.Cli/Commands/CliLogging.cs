using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Pipeline.Cli.Commands;

/// <summary>Logging for one-shot commands: human-readable lines on stderr, or JSON when <c>PIPELINE_LOG_FORMAT=json</c> (containers).</summary>
internal static class CliLogging
{
    /// <summary>Builds and drops a factory on the thread pool, so the real one is quick to build (see Program.Main).</summary>
    public static void Warm() => _ = Task.Run(() =>
    {
        try
        {
            Create(verbose: false).Dispose();
        }
#pragma warning disable CA1031 // best effort: the real factory reports any problem
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    });

    public static ILoggerFactory Create(bool verbose) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning);
        builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        if (string.Equals(Environment.GetEnvironmentVariable("PIPELINE_LOG_FORMAT"), "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ");
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
