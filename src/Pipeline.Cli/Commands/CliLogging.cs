using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Pipeline.Cli.Commands;

/// <summary>Logging for one-shot commands: human-readable lines on stderr, or JSON when <c>PIPELINE_LOG_FORMAT=json</c> (containers).</summary>
internal static class CliLogging
{
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
