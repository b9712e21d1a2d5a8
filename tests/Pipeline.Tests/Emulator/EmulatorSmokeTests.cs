using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using Xunit.Abstractions;

namespace Pipeline.Tests.Emulator;

/// <summary>
/// Proves, against fauxqs, each S3/SQS/SNS behaviour the coming SQS/S3 worker relies on, and records what the emulator
/// answers where AWS has a choice (error codes, envelope shapes).
/// </summary>
[Collection("emulator")]
public sealed class EmulatorSmokeTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    [Fact]
    public void The_emulator_starts_on_loopback_within_the_start_up_budget()
    {
        output.WriteLine($"fauxqs start-up (spawn node, listen, /health): {emulator.StartupTime.TotalMilliseconds:0} ms at {emulator.ServiceUrl}");
        Assert.StartsWith("http://127.0.0.1:", emulator.ServiceUrl, StringComparison.Ordinal);
        Assert.InRange(emulator.StartupTime, TimeSpan.Zero, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task PutObject_then_GetObject_streams_the_body_back_and_HeadObject_reports_the_same_ETag()
    {
        using var s3 = emulator.CreateS3Client();
        var bucket = emulator.UniqueName("smoke");
        await s3.PutBucketAsync(bucket);

        // Larger than one read buffer, and binary, so the streamed body is really compared byte for byte.
        var body = new byte[3 * 1024 * 1024 + 17];
        new Random(42).NextBytes(body);
        var key = "AWSLogs/111122223333/CloudTrail/us-east-1/2025/01/02/111122223333_CloudTrail_us-east-1_20250102T0000Z_a1.json.gz";

        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body) });
        var head = await s3.GetObjectMetadataAsync(bucket, key);

        // A single-part ETag is the quoted hex MD5 of the body, as in S3.
        var md5 = "\"" + Convert.ToHexStringLower(MD5.HashData(body)) + "\"";
        Assert.Equal(md5, put.ETag);
        Assert.Equal(md5, head.ETag);
        Assert.Equal(body.Length, head.ContentLength);

        using var get = await s3.GetObjectAsync(bucket, key);
        Assert.Equal(md5, get.ETag);
        using var copy = new MemoryStream();
        await get.ResponseStream.CopyToAsync(copy);
        Assert.True(body.AsSpan().SequenceEqual(copy.ToArray()), "GetObject returned different bytes");
    }

    [Fact]
    public async Task GetObject_of_a_missing_key_throws_NoSuchKeyException_with_ErrorCode_NoSuchKey()
    {
        using var s3 = emulator.CreateS3Client();
        var bucket = emulator.UniqueName("smoke");
        await s3.PutBucketAsync(bucket);

        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "no/such/key.json.gz"));

        // Recorded: AWSSDK.S3 v4 throws Amazon.S3.Model.NoSuchKeyException (a subclass of AmazonS3Exception, so
        // `catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")` also matches), ErrorCode "NoSuchKey",
        // HTTP 404, message "The specified key does not exist."
        Assert.IsType<NoSuchKeyException>(error);
        Assert.Equal("NoSuchKey", error.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task A_received_message_stays_invisible_while_its_visibility_is_extended_reappears_at_zero_and_is_gone_once_deleted()
    {
        using var sqs = emulator.CreateSqsClient();
        var queueUrl = (await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = emulator.UniqueName("smoke"),
            Attributes = new() { ["VisibilityTimeout"] = "1" },
        })).QueueUrl;
        Assert.StartsWith(emulator.ServiceUrl + "/000000000000/", queueUrl, StringComparison.Ordinal);

        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var sent = await sqs.SendMessageAsync(queueUrl, "{\"Records\":[]}");

        var first = await ReceiveOneAsync(sqs, queueUrl, waitSeconds: 5);
        Assert.NotNull(first);
        Assert.Equal(sent.MessageId, first.MessageId);
        Assert.Equal("{\"Records\":[]}", first.Body);
        Assert.Equal("1", first.Attributes["ApproximateReceiveCount"]);
        var sentAt = long.Parse(first.Attributes["SentTimestamp"], CultureInfo.InvariantCulture);
        Assert.InRange(sentAt, before - 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000);

        // Extend well past the queue's 1 s timeout; after that second has gone by it must still be invisible.
        await sqs.ChangeMessageVisibilityAsync(queueUrl, first.ReceiptHandle, 30);
        await Task.Delay(TimeSpan.FromMilliseconds(1500));
        Assert.Null(await ReceiveOneAsync(sqs, queueUrl, waitSeconds: 1));

        // Visibility 0 hands it back at once.
        await sqs.ChangeMessageVisibilityAsync(queueUrl, first.ReceiptHandle, 0);
        var second = await ReceiveOneAsync(sqs, queueUrl, waitSeconds: 2);
        Assert.NotNull(second);
        Assert.Equal(sent.MessageId, second.MessageId);
        Assert.Equal("2", second.Attributes["ApproximateReceiveCount"]);
        Assert.NotEqual(first.ReceiptHandle, second.ReceiptHandle);

        await sqs.DeleteMessageAsync(queueUrl, second.ReceiptHandle);
        await Task.Delay(TimeSpan.FromMilliseconds(1200)); // past the 1 s visibility timeout: a not-deleted message would be back
        Assert.Null(await ReceiveOneAsync(sqs, queueUrl, waitSeconds: 1));
        var counts = await sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
        Assert.Equal(0, counts.ApproximateNumberOfMessages);
        Assert.Equal(0, counts.ApproximateNumberOfMessagesNotVisible);
    }

    [Fact]
    public async Task A_stale_receipt_handle_fails_ChangeMessageVisibility_with_MessageNotInflight_and_is_silently_ignored_by_DeleteMessage()
    {
        using var sqs = emulator.CreateSqsClient();
        var queueUrl = (await sqs.CreateQueueAsync(emulator.UniqueName("smoke"))).QueueUrl;
        await sqs.SendMessageAsync(queueUrl, "stale");

        var first = await ReceiveOneAsync(sqs, queueUrl, waitSeconds: 5);
        Assert.NotNull(first);
        await sqs.ChangeMessageVisibilityAsync(queueUrl, first.ReceiptHandle, 0);
        var second = await ReceiveOneAsync(sqs, queueUrl, waitSeconds: 5);
        Assert.NotNull(second);

        // The first handle is stale now that the message was received again.
        var stale = await Assert.ThrowsAnyAsync<AmazonSQSException>(
            () => sqs.ChangeMessageVisibilityAsync(queueUrl, first.ReceiptHandle, 60));
        output.WriteLine($"stale handle, ChangeMessageVisibility: {stale.GetType().Name} ErrorCode={stale.ErrorCode} Status={(int)stale.StatusCode} {stale.Message}");
        Assert.IsType<MessageNotInflightException>(stale);
        Assert.Equal("AWS.SimpleQueueService.MessageNotInflight", stale.ErrorCode);

        // DeleteMessage with the stale handle succeeds and deletes nothing (AWS documents the same for stale handles;
        // fauxqs never answers ReceiptHandleIsInvalid, not even for a malformed handle).
        await sqs.DeleteMessageAsync(queueUrl, first.ReceiptHandle);
        await sqs.DeleteMessageAsync(queueUrl, "not-a-receipt-handle");
        var counts = await sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessagesNotVisible"]);
        Assert.Equal(1, counts.ApproximateNumberOfMessagesNotVisible);

        // The current handle still works; once deleted, it is stale too.
        await sqs.DeleteMessageAsync(queueUrl, second.ReceiptHandle);
        var gone = await Assert.ThrowsAnyAsync<AmazonSQSException>(
            () => sqs.ChangeMessageVisibilityAsync(queueUrl, second.ReceiptHandle, 60));
        Assert.IsType<MessageNotInflightException>(gone);
    }

    [Fact]
    public async Task GetQueueUrl_of_a_missing_queue_throws_QueueDoesNotExistException()
    {
        using var sqs = emulator.CreateSqsClient();

        var error = await Assert.ThrowsAnyAsync<AmazonSQSException>(() => sqs.GetQueueUrlAsync(emulator.UniqueName("missing")));

        output.WriteLine($"missing queue: {error.GetType().Name} ErrorCode={error.ErrorCode} Status={(int)error.StatusCode} {error.Message}");
        Assert.IsType<QueueDoesNotExistException>(error);
        Assert.Equal("AWS.SimpleQueueService.NonExistentQueue", error.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
    }

    [Fact]
    public async Task A_message_received_twice_and_not_deleted_moves_to_the_dead_letter_queue_on_the_next_receive()
    {
        using var sqs = emulator.CreateSqsClient();
        var dlqUrl = (await sqs.CreateQueueAsync(emulator.UniqueName("dlq"))).QueueUrl;
        var dlqArn = (await sqs.GetQueueAttributesAsync(dlqUrl, ["QueueArn"])).QueueARN;
        Assert.StartsWith("arn:aws:sqs:us-east-1:000000000000:dlq-", dlqArn, StringComparison.Ordinal);

        var redrive = JsonSerializer.Serialize(new { deadLetterTargetArn = dlqArn, maxReceiveCount = 2 });
        var queueUrl = (await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = emulator.UniqueName("work"),
            Attributes = new() { ["VisibilityTimeout"] = "1", ["RedrivePolicy"] = redrive },
        })).QueueUrl;
        var sent = await sqs.SendMessageAsync(queueUrl, "poison");

        for (var receive = 1; receive <= 2; receive++)
        {
            var message = await ReceiveOneAsync(sqs, queueUrl, waitSeconds: 5);
            Assert.NotNull(message);
            Assert.Equal(receive.ToString(CultureInfo.InvariantCulture), message.Attributes["ApproximateReceiveCount"]);
            await Task.Delay(TimeSpan.FromMilliseconds(1200)); // let the 1 s visibility timeout lapse: not deleted
        }

        // The third receive finds it over maxReceiveCount and moves it (fauxqs, like SQS, redrives on receive).
        Assert.Null(await ReceiveOneAsync(sqs, queueUrl, waitSeconds: 1));
        var dead = await ReceiveOneAsync(sqs, dlqUrl, waitSeconds: 5);
        Assert.NotNull(dead);
        Assert.Equal(sent.MessageId, dead.MessageId);
        Assert.Equal("poison", dead.Body);

        // Recorded, not relied on: the count travels with the message; fauxqs counted the move as a receive too, so the
        // DLQ's first receive reports 4 (2 receives + the receive that moved it + this one).
        output.WriteLine($"ApproximateReceiveCount on the DLQ's first receive: {dead.Attributes["ApproximateReceiveCount"]}");
    }

    [Fact]
    public async Task Sns_delivers_the_notification_envelope_to_sqs_unless_raw_delivery_is_on()
    {
        using var sqs = emulator.CreateSqsClient();
        var queueUrl = (await sqs.CreateQueueAsync(emulator.UniqueName("notify"))).QueueUrl;
        var queueArn = (await sqs.GetQueueAttributesAsync(queueUrl, ["QueueArn"])).QueueARN;
        var topicArn = await emulator.Sns.CreateTopicAsync(emulator.UniqueName("trail"));
        Assert.StartsWith("arn:aws:sns:us-east-1:000000000000:trail-", topicArn, StringComparison.Ordinal);
        var subscriptionArn = await emulator.Sns.SubscribeQueueAsync(topicArn, queueArn);

        // What CloudTrail publishes to its SNS topic for each delivered log file.
        const string notification = "{\"s3Bucket\":\"trail-bucket\",\"s3ObjectKey\":[\"AWSLogs/111122223333/CloudTrail/us-east-1/2025/01/02/f.json.gz\"]}";

        // Raw delivery off (the default): the SQS body is the SNS envelope, the message a JSON string inside it.
        // Recorded body (one line in reality; fauxqs 1.9.2, "Signature" is a placeholder, "Subject" null when none):
        // {"Type":"Notification","MessageId":"151ae6c7-9a31-4b49-a2dd-0dc669b9d559",
        //  "TopicArn":"arn:aws:sns:us-east-1:000000000000:trail-b153acf7c1a047fcb281bb717f1779bb","Subject":null,
        //  "Message":"{\"s3Bucket\":\"trail-bucket\",\"s3ObjectKey\":[\"AWSLogs/111122223333/CloudTrail/us-east-1/2025/01/02/f.json.gz\"]}",
        //  "Timestamp":"2026-11-28T13:37:22.890Z","SignatureVersion":"1","Signature":"EXAMPLE",
        //  "SigningCertURL":"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
        //  "UnsubscribeURL":"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:000000000000:trail-b153acf7c1a047fcb281bb717f1779bb:1ee1b8e5-9d14-40bb-b728-3cde64d60891",
        //  "MessageAttributes":{}}
        // With raw delivery on, the body is exactly the published string:
        // {"s3Bucket":"trail-bucket","s3ObjectKey":["AWSLogs/111122223333/CloudTrail/us-east-1/2025/01/02/f.json.gz"]}
        await emulator.Sns.SetRawMessageDeliveryAsync(subscriptionArn, raw: false);
        var messageId = await emulator.Sns.PublishAsync(topicArn, notification);
        var enveloped = await ReceiveOneAsync(sqs, queueUrl, waitSeconds: 5);
        Assert.NotNull(enveloped);
        output.WriteLine("raw delivery off, SQS body: " + enveloped.Body);
        using (var envelope = JsonDocument.Parse(enveloped.Body))
        {
            var root = envelope.RootElement;
            Assert.Equal("Notification", root.GetProperty("Type").GetString());
            Assert.Equal(topicArn, root.GetProperty("TopicArn").GetString());
            Assert.Equal(messageId, root.GetProperty("MessageId").GetString());
            Assert.Equal(JsonValueKind.String, root.GetProperty("Message").ValueKind);
            Assert.Equal(notification, root.GetProperty("Message").GetString());
        }

        await sqs.DeleteMessageAsync(queueUrl, enveloped.ReceiptHandle);

        // Raw delivery on: the SQS body is the published message itself.
        await emulator.Sns.SetRawMessageDeliveryAsync(subscriptionArn, raw: true);
        await emulator.Sns.PublishAsync(topicArn, notification);
        var raw = await ReceiveOneAsync(sqs, queueUrl, waitSeconds: 5);
        Assert.NotNull(raw);
        output.WriteLine("raw delivery on, SQS body: " + raw.Body);
        Assert.Equal(notification, raw.Body);
    }

    [Fact]
    public async Task Sns_errors_come_back_as_query_api_error_codes()
    {
        var error = await Assert.ThrowsAsync<SnsQueryException>(
            () => emulator.Sns.PublishAsync("arn:aws:sns:us-east-1:000000000000:" + emulator.UniqueName("missing"), "x"));

        Assert.Equal("NotFound", error.ErrorCode);
    }

    [Fact]
    public async Task Clients_built_without_explicit_config_reach_the_emulator_through_the_standard_aws_variables()
    {
        // Endpoint http://127.0.0.1:<port>: plain new AmazonS3Client() works, because the S3 endpoint rules fall back to
        // path-style addressing for an IP-literal endpoint.
        var probe = await RunProbeInChildProcessAsync(emulator.AwsEnvironment(), forcePathStyleInCode: false);
        Assert.Equal("false", probe["s3ForcePathStyle"]);
        Assert.Equal(emulator.ServiceUrl + "/", probe["s3ServiceUrl"]);
        Assert.Equal(emulator.ServiceUrl + "/", probe["sqsServiceUrl"]);
        Assert.Equal("us-east-1", probe["sqsRegion"]);
    }

    [Fact]
    public async Task With_a_host_name_endpoint_the_s3_client_needs_ForcePathStyle_set_in_code()
    {
        // Endpoint http://localhost:<port>: the SDK would address bucket.localhost:<port> (virtual-hosted style), which
        // does not resolve here ("Name or service not known"); AWSSDK.S3 ignores AWS_S3_FORCE_PATH_STYLE, so the code
        // must set AmazonS3Config.ForcePathStyle. new AmazonS3Config { ForcePathStyle = true } still takes the endpoint,
        // region and credentials from the environment.
        var environment = EmulatorFixture.AwsEnvironment($"http://localhost:{emulator.Port.ToString(CultureInfo.InvariantCulture)}");
        var probe = await RunProbeInChildProcessAsync(environment, forcePathStyleInCode: true);
        Assert.Equal("true", probe["s3ForcePathStyle"]);
        Assert.StartsWith("http://localhost:", probe["s3ServiceUrl"], StringComparison.Ordinal);
    }

    private async Task<Dictionary<string, string>> RunProbeInChildProcessAsync(IReadOnlyDictionary<string, string> awsEnvironment, bool forcePathStyleInCode)
    {
        using var s3 = emulator.CreateS3Client();
        using var sqs = emulator.CreateSqsClient();
        var bucket = emulator.UniqueName("env");
        var queue = emulator.UniqueName("env");
        const string key = "from-the-test.txt";
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "written by the test" });
        var queueUrl = (await sqs.CreateQueueAsync(queue)).QueueUrl;

        var assembly = typeof(EmulatorSmokeTests).Assembly.Location;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(assembly);
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (name, value) in awsEnvironment)
        {
            start.Environment[name] = value;
        }

        start.Environment["DOTNET_STARTUP_HOOKS"] = assembly;
        start.Environment["PIPELINE_AWS_ENV_PROBE"] = "1";
        start.Environment["PROBE_BUCKET"] = bucket;
        start.Environment["PROBE_KEY"] = key;
        start.Environment["PROBE_QUEUE"] = queue;
        start.Environment["PROBE_S3_FORCE_PATH_STYLE"] = forcePathStyleInCode ? "true" : "false";

        using var child = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            try
            {
                await child.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                child.Kill(entireProcessTree: true);
                throw new TimeoutException("The AWS environment probe did not finish in 60 s. stderr: " + await stderr);
            }
        }

        var outText = await stdout;
        output.WriteLine("probe: " + outText.Trim());
        Assert.True(child.ExitCode == 0, $"probe exited {child.ExitCode}. stdout: {outText} stderr: {await stderr}");
        var probe = JsonSerializer.Deserialize<Dictionary<string, string>>(outText.Trim())
            ?? throw new InvalidOperationException("empty probe output");

        // The child read what the test wrote, and the test sees what the child wrote: they met in this emulator.
        Assert.Equal("written by the test", probe["object"]);
        // fauxqs stores a queue's URL when it is created (from that request's Host), so GetQueueUrl answers it whatever
        // endpoint spelling the caller uses; SQS calls go to the client's endpoint with the URL only in the body.
        Assert.Equal(queueUrl, probe["queueUrl"]);
        using (var reply = await s3.GetObjectAsync(bucket, key + ".reply"))
        using (var reader = new StreamReader(reply.ResponseStream, Encoding.UTF8))
        {
            Assert.Equal("written by the test and back", await reader.ReadToEndAsync());
        }

        var message = await ReceiveOneAsync(sqs, queueUrl, waitSeconds: 5);
        Assert.NotNull(message);
        Assert.Equal("sent by the child process", message.Body);
        return probe;
    }

    private static async Task<Message?> ReceiveOneAsync(AmazonSQSClient sqs, string queueUrl, int waitSeconds)
    {
        var response = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = queueUrl,
            MaxNumberOfMessages = 1,
            WaitTimeSeconds = waitSeconds,
            MessageSystemAttributeNames = ["ApproximateReceiveCount", "SentTimestamp"],
        });

        // AWSSDK v4 leaves the Messages list null when the queue answers with none.
        return response.Messages is { Count: > 0 } messages ? messages[0] : null;
    }
}
