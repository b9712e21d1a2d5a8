using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Ingest;
using Pipeline.Ingest.Worker;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>pipeline worker</c>: the long-running SQS/S3 consumer on Microsoft.Extensions.Hosting. Settings come from
/// <c>appsettings.json</c>, an optional <c>--config</c> file, environment variables (<c>Worker__QueueUrl</c>) and
/// <c>--Worker:QueueUrl=...</c> style arguments, in that order of precedence (last wins).
/// </summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "Extra JSON settings file (same shape as appsettings.json)" };
        var command = new Command("worker", "Consume S3 notifications from SQS and ingest the CloudTrail objects they name (runs until SIGTERM). Settings come from appsettings.json, --config, environment variables (Worker__QueueUrl) and --Section:Setting=value arguments, e.g. --Worker:QueueUrl=https://sqs... --Worker:AllowedBuckets:0=my-trail-bucket --Worker:Output=s3://lake/kms (see the README's worker settings).")
        {
            config,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var error = r.InvocationConfiguration.Error;
            if (SettingArgumentProblem(r.UnmatchedTokens) is { } argument)
            {
                await error.WriteAsync(ConfigurationErrors([argument], JsonLogs(), DateTime.UtcNow)).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            HostApplicationBuilder builder;
            try
            {
                // Settings files are read as they are added: a file that is not JSON fails here, not as a crash.
                builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
                {
                    Args = r.UnmatchedTokens.ToArray(),
                    ContentRootPath = AppContext.BaseDirectory,
                });
                if (r.GetValue(config) is { } file)
                {
                    if (!File.Exists(file))
                    {
                        await error.WriteAsync(ConfigurationErrors([$"--config file '{file}' does not exist"], JsonLogs(), DateTime.UtcNow)).ConfigureAwait(false);
                        return ExitCodes.UsageError;
                    }

                    builder.Configuration.AddJsonFile(Path.GetFullPath(file), optional: false);
                    builder.Configuration.AddEnvironmentVariables();
                    builder.Configuration.AddCommandLine(r.UnmatchedTokens.ToArray());
                }
            }
            catch (InvalidDataException e)
            {
                await error.WriteAsync(ConfigurationErrors(["cannot read the settings: " + SettingsBinder.Describe(e)], JsonLogs(), DateTime.UtcNow)).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            var problems = WorkerStartupCheck.Problems(builder.Configuration);
            if (problems.Count > 0)
            {
                await error.WriteAsync(ConfigurationErrors(problems, JsonLogs(), DateTime.UtcNow)).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            ConfigureLogging(builder);
            builder.Services.AddPipelineWorker(builder.Configuration);
            builder.Services.Configure<HostOptions>(o =>
            {
                o.ShutdownTimeout = builder.Configuration.GetSection(WorkerOptions.Section).GetValue(nameof(WorkerOptions.ShutdownGracePeriod), TimeSpan.FromSeconds(30)) + TimeSpan.FromSeconds(30);
            });

            using var host = builder.Build();
            SqsWorkerService service;
            try
            {
                service = host.Services.GetRequiredService<SqsWorkerService>();
                await host.RunAsync(ct).ConfigureAwait(false);
            }
            catch (OptionsValidationException e)
            {
                await error.WriteAsync(ConfigurationErrors(e.Failures.ToList(), JsonLogs(), DateTime.UtcNow)).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }
            catch (Exception e) when (e is Amazon.Runtime.AmazonClientException or IOException or UnauthorizedAccessException)
            {
                await error.WriteAsync(StartupFailure(e.Message, JsonLogs(), DateTime.UtcNow)).ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            return service.ExitCode;
        });
        return command;
    }

    /// <summary>
    /// The arguments the command line leaves to the configuration must be settings (<c>--Section:Setting=value</c>,
    /// <c>--Section:Setting value</c>, or <c>/</c> for <c>--</c>): the configuration reads anything else as a setting
    /// nobody asks for, so a misspelt <c>--confg file.json</c> would start the worker without the file, in silence.
    /// Returns the first argument that is not one, as a problem to report, or null.
    /// </summary>
    internal static string? SettingArgumentProblem(IReadOnlyList<string> arguments)
    {
        const string Usage = "settings are given as --Section:Setting=value (e.g. --Worker:QueueUrl=https://sqs...) and a settings file as --config <file>";
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            var body = argument.StartsWith("--", StringComparison.Ordinal) ? argument[2..]
                : argument.StartsWith('/') ? argument[1..]
                : null;
            if (body is null)
            {
                return argument.StartsWith('-')
                    ? $"unknown option '{argument}': {Usage}"
                    : $"unexpected argument '{argument}': {Usage}";
            }

            var equals = body.IndexOf('=', StringComparison.Ordinal);
            var key = equals >= 0 ? body[..equals] : body;
            if (!key.Contains(':', StringComparison.Ordinal) || key.StartsWith(':') || key.EndsWith(':'))
            {
                return $"unknown option '{argument}': {Usage}";
            }

            if (equals < 0)
            {
                if (i + 1 == arguments.Count)
                {
                    return $"'{argument}' has no value: give it as {argument}=value";
                }

                i++;
            }
        }

        return null;
    }

    /// <summary>A failure to start after the settings were accepted (an output folder that cannot be created, say): a line for a terminal, or a JSON line.</summary>
    internal static string StartupFailure(string reason, bool json, DateTime utcNow)
    {
        if (!json)
        {
            return "error: the worker could not start: " + reason + "\n";
        }

        return CriticalLine(CouldNotStartEventId, "The worker could not start: " + reason, new System.Text.Json.Nodes.JsonObject { ["Reason"] = reason }, utcNow);
    }

    /// <summary>Event ids of the lines written before the worker's logging exists, in the worker's range (6000–6099).</summary>
    internal const int ConfigurationInvalidEventId = Pipeline.Diagnostics.EventIds.Worker + 90;

    internal const int CouldNotStartEventId = Pipeline.Diagnostics.EventIds.Worker + 91;

    // One line in the shape of the worker's own JSON log lines (AddJsonConsole's), for what happens before they exist.
    private static string CriticalLine(int eventId, string message, System.Text.Json.Nodes.JsonObject state, DateTime utcNow) =>
        new System.Text.Json.Nodes.JsonObject
        {
            ["Timestamp"] = utcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
            ["EventId"] = eventId,
            ["LogLevel"] = "Critical",
            ["Category"] = "Pipeline.Cli.Commands.WorkerCommand",
            ["Message"] = message,
            ["State"] = state,
        }.ToJsonString() + "\n";

    private static bool JsonLogs() => string.Equals(Environment.GetEnvironmentVariable("PIPELINE_LOG_FORMAT"), "json", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Every configuration problem, for stderr: a list for a terminal, or with JSON logs (a container) one JSON line per
    /// problem in the shape of the worker's own log lines, so that a log pipeline that parses them sees why the worker
    /// would not start.
    /// </summary>
    internal static string ConfigurationErrors(IReadOnlyList<string> problems, bool json, DateTime utcNow)
    {
        var text = new System.Text.StringBuilder();
        if (!json)
        {
            text.Append("error: the worker configuration is invalid:\n");
            foreach (var problem in problems)
            {
                text.Append("  - ").Append(problem).Append('\n');
            }

            return text.ToString();
        }

        foreach (var problem in problems)
        {
            text.Append(CriticalLine(ConfigurationInvalidEventId, "The worker configuration is invalid: " + problem, new System.Text.Json.Nodes.JsonObject { ["Problem"] = problem, ["Problems"] = problems.Count }, utcNow));
        }

        return text.ToString();
    }

    private static void ConfigureLogging(HostApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        if (JsonLogs())
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }

        // The AWS SDK and the host are chatty at Information; keep our own catalogue readable.
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddFilter("Amazon", LogLevel.Warning);
    }
}
