using System.ComponentModel.DataAnnotations;
using Amazon.Runtime;
using Microsoft.Extensions.Configuration;
using Pipeline.Sink;

namespace Pipeline.Ingest.Worker;

/// <summary>
/// Everything that can be checked before the worker starts, reported together: the worker settings, the sink
/// settings and the AWS region (the SDK's standard chain: AWS_REGION, AWS_DEFAULT_REGION, profile, instance).
/// </summary>
internal static class WorkerStartupCheck
{
    public static IReadOnlyList<string> Problems(IConfiguration configuration)
    {
        var problems = new List<string>();
        var worker = new WorkerOptions();
        configuration.GetSection(WorkerOptions.Section).Bind(worker);
        var result = new WorkerOptionsValidator().Validate(null, worker);
        if (result.Failed)
        {
            problems.AddRange(result.Failures);
        }

        var sink = new SinkOptions();
        configuration.GetSection(SinkOptions.Section).Bind(sink);
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(sink, new ValidationContext(sink), results, validateAllProperties: true))
        {
            problems.AddRange(results.Select(r => $"{SinkOptions.Section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }

        var endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        if (FallbackRegionFactory.GetRegionEndpoint() is null && string.IsNullOrEmpty(endpoint))
        {
            problems.Add("AWS region is not set: set AWS_REGION (or AWS_DEFAULT_REGION, or a region in the AWS profile).");
        }

        return problems;
    }
}
