using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;

/// <summary>
/// Child-process side of <c>Clients_built_without_explicit_config_reach_the_emulator_through_the_standard_aws_variables</c>:
/// proves that the SDK's own environment handling (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
/// points clients built with no explicit endpoint or credentials at the emulator, the way the worker will build them.
/// </summary>
/// <remarks>
/// The test runs the test assembly itself (<c>dotnet exec Pipeline.Tests.dll</c>, whose generated Main does nothing) with
/// <c>DOTNET_STARTUP_HOOKS</c> naming this assembly, so the runtime calls <see cref="Initialize"/> before Main in a fresh
/// process whose environment holds only the variables under test. It does nothing unless <c>PIPELINE_AWS_ENV_PROBE</c> is
/// set, and is never loaded as a hook in a normal test run. The type must be called StartupHook and sit in no namespace.
/// </remarks>
[SuppressMessage("Design", "CA1050:Declare types in namespaces", Justification = "The .NET startup hook contract requires a StartupHook type in the global namespace.")]
internal static class StartupHook
{
    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable("PIPELINE_AWS_ENV_PROBE") != "1")
        {
            return;
        }

        try
        {
            var result = RunAsync().GetAwaiter().GetResult();
            Console.Out.WriteLine(JsonSerializer.Serialize(result));
            Console.Out.Flush();
            Environment.Exit(0);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine(ex);
            Console.Error.Flush();
            Environment.Exit(3);
        }
    }

    private static async Task<Dictionary<string, string>> RunAsync()
    {
        var bucket = Required("PROBE_BUCKET");
        var key = Required("PROBE_KEY");
        var queue = Required("PROBE_QUEUE");
        var forcePathStyle = Environment.GetEnvironmentVariable("PROBE_S3_FORCE_PATH_STYLE") == "true";

        // Exactly what production code would write: no endpoint, region or credentials in code.
        using var sqs = new AmazonSQSClient();
        using var s3 = forcePathStyle ? new AmazonS3Client(new AmazonS3Config { ForcePathStyle = true }) : new AmazonS3Client();

        var queueUrl = (await sqs.GetQueueUrlAsync(queue)).QueueUrl;
        await sqs.SendMessageAsync(queueUrl, "sent by the child process");

        string text;
        using (var get = await s3.GetObjectAsync(bucket, key))
        using (var reader = new StreamReader(get.ResponseStream))
        {
            text = await reader.ReadToEndAsync();
        }

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key + ".reply", ContentBody = text + " and back" });

        var s3Config = (AmazonS3Config)s3.Config;
        return new Dictionary<string, string>
        {
            ["sqsServiceUrl"] = sqs.Config.ServiceURL ?? "",
            ["sqsRegion"] = sqs.Config.RegionEndpoint?.SystemName ?? "",
            ["s3ServiceUrl"] = s3Config.ServiceURL ?? "",
            ["s3ForcePathStyle"] = s3Config.ForcePathStyle ? "true" : "false",
            ["s3RequestChecksumCalculation"] = s3Config.RequestChecksumCalculation.ToString(),
            ["queueUrl"] = queueUrl,
            ["object"] = text,
        };
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) ?? throw new InvalidOperationException(name + " is not set");
}
