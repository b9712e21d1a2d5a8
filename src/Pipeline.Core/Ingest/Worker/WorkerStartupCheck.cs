using Amazon.Runtime;
using Microsoft.Extensions.Configuration;
using Pipeline.Parsing;
using Pipeline.Sink;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// Everything that can be checked before the worker starts, reported together: the worker, sink and reader
/// settings and the AWS region (the SDK's standard chain: AWS_REGION, AWS_DEFAULT_REGION, profile, instance).
/// </summary>
internal static class WorkerStartupCheck
{
    public static IReadOnlyList<string> Problems(IConfiguration configuration)
    {
        var problems = new List<string>();
        var worker = SettingsBinder.Bind<WorkerOptions>(configuration, WorkerOptions.Section, problems);
        var result = new WorkerOptionsValidator().Validate(null, worker);
        if (result.Failed)
        {
            problems.AddRange(result.Failures);
        }
        else if (OutputLocation.TryParse(worker.Output, out var output, out _) && output.LocalPath is { } folder)
        {
            // The worker creates its dataset folder anyway; a path it cannot create is a setting to fix, not a crash.
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add($"{WorkerOptions.Section}:Output '{worker.Output}': cannot create or open the dataset folder: {e.Message}");
            }
        }

        SettingsBinder.Bind<SinkOptions>(configuration, SinkOptions.Section, problems);
        SettingsBinder.Bind<ReaderOptions>(configuration, ReaderOptions.Section, problems);

        var endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        if (FallbackRegionFactory.GetRegionEndpoint() is null && string.IsNullOrEmpty(endpoint))
        {
            problems.Add("AWS region is not set: set AWS_REGION (or AWS_DEFAULT_REGION, or a region in the AWS profile).");
        }

        return problems;
    }
}
