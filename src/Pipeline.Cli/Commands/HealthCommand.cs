using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Pipeline.Ingest.Worker;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>pipeline health</c>: exit 0 when the worker's health file is fresh and not failed (for Docker HEALTHCHECK and
/// Kubernetes exec probes), 1 otherwise, printing the state either way.
/// </summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var file = new Option<string>("--file")
        {
            Description = "Health file the worker writes (default: Worker:HealthFile from appsettings.json and the environment, as the worker reads it)",
            DefaultValueFactory = _ => DefaultHealthFile(new ConfigurationBuilder()
                .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
                .AddEnvironmentVariables()
                .Build()),
        };
        var maxAge = new Option<int>("--max-age-seconds") { Description = "Older than this means the worker is hung or gone", DefaultValueFactory = _ => 30 };
        var command = new Command("health", "Report the running worker's health from its health file (exit 0 healthy, 1 not).") { file, maxAge };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var o = r.InvocationConfiguration.Output;
            var path = r.GetValue(file)!;
            if (!File.Exists(path))
            {
                await o.WriteLineAsync($"unhealthy: no health file at {path} (worker not started?)").ConfigureAwait(false);
                return 1;
            }

            var text = await File.ReadAllTextAsync(path, ct).ConfigureAwait(false);
            string? state;
            DateTime written;
            try
            {
                using var doc = JsonDocument.Parse(text);
                state = doc.RootElement.GetProperty("state").GetString();
                written = DateTime.Parse(doc.RootElement.GetProperty("written_at").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentNullException)
            {
                await o.WriteLineAsync($"unhealthy: the health file {path} is not one the worker writes ({e.Message})").ConfigureAwait(false);
                return 1;
            }

            var age = DateTime.UtcNow - written;
            var healthy = state is "Running" or "Starting" && age.TotalSeconds <= r.GetValue(maxAge);
            await o.WriteLineAsync((healthy ? "healthy: " : "unhealthy: ") + text + string.Create(CultureInfo.InvariantCulture, $" (age {age.TotalSeconds:F0} s)")).ConfigureAwait(false);
            return healthy ? 0 : 1;
        });
        return command;
    }

    /// <summary>The health file the worker writes under <paramref name="configuration"/>: its Worker:HealthFile, else the worker's default.</summary>
    internal static string DefaultHealthFile(IConfiguration configuration) =>
        configuration[WorkerOptions.Section + ":" + nameof(WorkerOptions.HealthFile)] is { Length: > 0 } configured ? configured : new WorkerOptions().HealthFile;
}
