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
        var worker = SettingsBinder.Worker(configuration, problems);
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

        SettingsBinder.Sink(configuration, problems);
        SettingsBinder.Reader(configuration, problems);

        var endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        var region = FallbackRegionFactory.GetRegionEndpoint();
        if (region is null && string.IsNullOrEmpty(endpoint))
        {
            problems.Add("AWS region is not set: set AWS_REGION (or AWS_DEFAULT_REGION, or a region in the AWS profile).");
        }
        else if (QueueRegionProblem(worker.QueueUrl, region?.SystemName, endpoint) is { } mismatch)
        {
            problems.Add(mismatch);
        }

        return problems;
    }

    /// <summary>
    /// SQS answers a queue only in its own region: a queue URL of AWS's form (<c>https://sqs.&lt;region&gt;.amazonaws.com/…</c>)
    /// in another region than the SDK's fails every receive; said at start instead. Not checked against an endpoint
    /// override (an emulator, a VPC endpoint), which has URLs of its own.
    /// </summary>
    internal static string? QueueRegionProblem(string? queueUrl, string? region, string? endpointOverride)
    {
        if (string.IsNullOrEmpty(queueUrl) || string.IsNullOrEmpty(region) || !string.IsNullOrEmpty(endpointOverride)
            || !Uri.TryCreate(queueUrl, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var host = uri.Host.Split('.');
        var queueRegion = host.Length is 4 or 5 && host[0] == "sqs" && host[2] == "amazonaws" && host[3] == "com" && (host.Length == 4 || host[4] == "cn") ? host[1] : null;
        return queueRegion is not null && !string.Equals(queueRegion, region, StringComparison.OrdinalIgnoreCase)
            ? $"AWS region {region} is not the queue's region {queueRegion} ({WorkerOptions.Section}:QueueUrl {queueUrl}): SQS answers a queue only in its region; set AWS_REGION={queueRegion}, or give the queue of region {region}."
            : null;
    }
}
