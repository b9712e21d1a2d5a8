using Pipeline.Diagnostics;
using Pipeline.Tests.Ingest;
using static Pipeline.Tests.Support.CloudTrailRecords;

namespace Pipeline.Tests.Emulator.Worker;

[Collection("emulator")]
public sealed class MessageShapeTests(EmulatorFixture emulator)
{
    private async Task AssertIngestedAsync(WorkerTestBed bed, int rows)
    {
        await bed.RunWorkerAsync();
        var log = string.Join("\n", bed.Logs.Entries.Select(e => $"{e.EventId} {e.Level} {e.Message}"));
        Assert.True(rows == await bed.CountAsync(), $"expected {rows} rows; worker log:\n{log}");
        Assert.Equal(rows, await bed.CountAsync("select count(*) from kms_events_all"));
        Assert.Equal(0, await bed.MessagesLeftAsync());
    }

    [Fact]
    public async Task A_direct_s3_notification_is_ingested_and_deleted()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var key = await bed.PutLogAsync(Decrypts("direct", 5));
        await bed.SendAsync(bed.S3Event(key));
        await AssertIngestedAsync(bed, 5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_sns_delivered_notification_is_ingested_with_raw_delivery_on_and_off(bool raw)
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var topic = await emulator.Sns.CreateTopicAsync(emulator.UniqueName("topic"));
        var subscription = await emulator.Sns.SubscribeQueueAsync(topic, bed.QueueArn);
        await emulator.Sns.SetRawMessageDeliveryAsync(subscription, raw);
        var key = await bed.PutLogAsync(Decrypts("sns", 4));

        await emulator.Sns.PublishAsync(topic, bed.S3Event(key), "Amazon S3 Notification");

        await AssertIngestedAsync(bed, 4);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_eventbridge_object_created_event_is_ingested_with_or_without_detail_type(bool withDetailType)
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var key = await bed.PutLogAsync(Decrypts("eb", 3));
        await bed.SendAsync(bed.EventBridge(key, withDetailType));
        await AssertIngestedAsync(bed, 3);
    }

    [Fact]
    public async Task Cloudtrail_own_sns_notification_with_several_objects_ingests_them_all()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var topic = await emulator.Sns.CreateTopicAsync(emulator.UniqueName("cloudtrail"));
        await emulator.Sns.SubscribeQueueAsync(topic, bed.QueueArn);
        var first = await bed.PutLogAsync(Decrypts("ct1", 2));
        var second = await bed.PutLogAsync(Decrypts("ct2", 3));

        await emulator.Sns.PublishAsync(topic, System.Text.Json.JsonSerializer.Serialize(new { s3Bucket = bed.Bucket, s3ObjectKey = new[] { first, second } }));

        await AssertIngestedAsync(bed, 5);
    }

    [Fact]
    public async Task An_empty_object_named_by_a_notification_without_sizes_is_still_fetched_and_reported_by_name()
    {
        // CloudTrail's own notification states no sizes, so objects are asked for as the range "bytes=0-", which S3 (and
        // the emulator) refuse for an empty object with 416 InvalidRange: the empty one is fetched again without it and
        // reported as what it is, while the other object of the message is ingested.
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var log = await bed.PutLogAsync(Decrypts("beside-empty", 3));
        const string empty = "AWSLogs/o-abcdef1234/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T1100Z_EmptyEmptyEmpty0.json.gz";
        await bed.PutObjectAsync(empty, []);

        await bed.SendAsync(NotificationParserTests.Sns(System.Text.Json.JsonSerializer.Serialize(new { s3Bucket = bed.Bucket, s3ObjectKey = new[] { log, empty } })));
        await bed.RunWorkerAsync();

        var entries = string.Join("\n", bed.Logs.Entries.Select(e => $"{e.EventId} {e.Level} {e.Message}"));
        Assert.True(3 == await bed.CountAsync(), entries);
        Assert.DoesNotContain("InvalidRange", entries, StringComparison.Ordinal);
        Assert.DoesNotContain("not satisfiable", entries, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"(?<![0-9A-Za-z])416(?![0-9A-Za-z])", entries); // a status code, not hex digits of an object name
        Assert.Contains(bed.Logs.Entries, e => e.EventId == EventIds.Worker + 11 && e.Message.Contains(empty, StringComparison.Ordinal));
    }

    [Fact]
    public async Task One_s3_notification_naming_several_objects_is_deleted_after_all_of_them()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var first = await bed.PutLogAsync(Decrypts("m1", 2));
        var second = await bed.PutLogAsync(Decrypts("m2", 2));
        var a = System.Text.Json.JsonDocument.Parse(bed.S3Event(first)).RootElement.GetProperty("Records")[0].GetRawText();
        var b = System.Text.Json.JsonDocument.Parse(bed.S3Event(second)).RootElement.GetProperty("Records")[0].GetRawText();
        await bed.SendAsync("{\"Records\":[" + a + "," + b + "]}");
        await AssertIngestedAsync(bed, 4);
    }

    [Fact]
    public async Task Test_events_are_deleted_directly_and_inside_sns()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        await bed.SendAsync(NotificationParserTests.TestEvent);
        await bed.SendAsync(NotificationParserTests.Sns(NotificationParserTests.TestEvent));
        await bed.RunWorkerAsync();
        Assert.Equal(0, await bed.MessagesLeftAsync());
        Assert.Equal(2, bed.Logs.Count(EventIds.Worker + 5));
    }

    [Fact]
    public async Task Digest_and_insight_objects_are_skipped_without_download()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        const string digest = "AWSLogs/o-abcdef1234/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_org_us-east-1_20260115T110000Z.json.gz";
        await bed.SendAsync(NotificationParserTests.S3Event(digest, bed.Bucket)); // never uploaded: a download would fail
        await AssertIngestedAsync(bed, 0);
        Assert.Equal(1, bed.Logs.Count(EventIds.Worker + 8));
    }

    [Fact]
    public async Task Keys_with_spaces_and_plus_signs_are_decoded_before_download()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        const string key = "copies/my folder/111122223333_CloudTrail_us-east-1_20260115T1005Z_Mu0KsOhtH1ar15ZZ.json.gz";
        await bed.PutObjectAsync(key, Gzip(Decrypts("space", 2)));
        await bed.SendAsync(bed.S3Event(key));
        Assert.Contains("copies/my+folder/", bed.S3Event(key), StringComparison.Ordinal);
        await AssertIngestedAsync(bed, 2);
    }
}
