using Amazon.SQS.Model;
using Pipeline.Ingest.Backfill;
using Pipeline.Ingest.Notifications;
using static Pipeline.Tests.Support.CloudTrailRecords;

namespace Pipeline.Tests.Emulator.Worker;

[Collection("emulator")]
public sealed class BackfillTests(EmulatorFixture emulator)
{
    private const string Trail = "AWSLogs/o-abcdef1234/";

    private static BackfillRequest Request(WorkerTestBed bed, int keysPerMessage = 10, DateOnly? from = null, DateOnly? to = null, bool dryRun = false) =>
        new(bed.Bucket, Trail, bed.QueueUrl, from, to, keysPerMessage, dryRun);

    private static string LogKey(int day, string unique) =>
        $"{Trail}111122223333/CloudTrail/us-east-1/2026/01/{day:D2}/111122223333_CloudTrail_us-east-1_202601{day:D2}T1000Z_{unique}.json.gz";

    [Fact]
    public async Task Log_files_already_in_the_bucket_are_queued_and_the_worker_ingests_every_one()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        for (var i = 0; i < 5; i++)
        {
            await bed.PutLogAsync(Decrypts($"old{i}", i + 1));
        }

        await bed.PutObjectAsync(Trail + "111122223333/CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20260115T100000Z.json.gz", Gzip("{}"));
        await bed.PutObjectAsync(Trail + "111122223333/CloudTrail/us-east-1/2026/01/15/notes.txt", "not a log"u8.ToArray());
        await bed.PutObjectAsync("elsewhere/" + LogKey(15, "Outside1"), Gzip(Decrypts("outside", 7)));

        var counts = await new BackfillEnqueuer(bed.S3, bed.Sqs).RunAsync(Request(bed, keysPerMessage: 2), null, CancellationToken.None);

        Assert.Equal(new BackfillCounts(Listed: 7, LogFiles: 5, OutsideDates: 0, Digests: 1, Insights: 0, Other: 1, Enqueued: 5, Messages: 3), counts);
        Assert.Equal(3, await bed.MessagesLeftAsync());
        await bed.RunWorkerAsync();
        Assert.True(await bed.CountAsync() == 1 + 2 + 3 + 4 + 5, bed.LogText);
        Assert.Equal(0, await bed.MessagesLeftAsync());
    }

    [Fact]
    public async Task Only_log_files_delivered_between_from_and_to_are_queued()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        foreach (var day in new[] { 14, 15, 16 })
        {
            await bed.PutObjectAsync(LogKey(day, $"Day{day}"), Gzip(Decrypts($"d{day}", day)));
        }

        var counts = await new BackfillEnqueuer(bed.S3, bed.Sqs).RunAsync(Request(bed, from: new DateOnly(2026, 1, 15), to: new DateOnly(2026, 1, 15)), null, CancellationToken.None);

        Assert.Equal((3L, 2L, 1L), (counts.LogFiles, counts.OutsideDates, counts.Enqueued));
        var received = await bed.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = bed.QueueUrl, MaxNumberOfMessages = 10 });
        var parsed = NotificationParser.Parse(Assert.Single(received.Messages).Body);
        Assert.Equal(NotificationKind.CloudTrailSns, parsed.Kind);
        Assert.Equal([LogKey(15, "Day15")], parsed.Objects.Select(o => o.Key));
        Assert.All(parsed.Objects, o => Assert.Equal(bed.Bucket, o.Bucket));
    }

    [Fact]
    public async Task A_dry_run_counts_without_sending()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        await bed.PutLogAsync(Decrypts("dry", 2));

        var counts = await new BackfillEnqueuer(bed.S3, bed.Sqs).RunAsync(Request(bed, dryRun: true), null, CancellationToken.None);

        Assert.Equal((1L, 1L), (counts.Enqueued, counts.Messages));
        Assert.Equal(0, await bed.MessagesLeftAsync());
    }

    [Fact]
    public async Task A_second_backfill_of_the_same_objects_writes_no_row_twice()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        await bed.PutLogAsync(Decrypts("twice-a", 3));
        await bed.PutLogAsync(Decrypts("twice-b", 4));
        var enqueuer = new BackfillEnqueuer(bed.S3, bed.Sqs);

        await enqueuer.RunAsync(Request(bed), null, CancellationToken.None);
        await bed.RunWorkerAsync();
        await enqueuer.RunAsync(Request(bed), null, CancellationToken.None);
        await bed.RunWorkerAsync();

        Assert.True(await bed.CountAsync("select count(*) from kms_events_all") == 7, bed.LogText);
        Assert.Equal(0, await bed.MessagesLeftAsync());
    }

    [Fact]
    public async Task With_a_start_date_only_the_month_folders_in_range_are_listed_and_the_same_files_are_queued()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var expected = new List<string>();
        var inJanuary = 0;
        foreach (var account in new[] { "111122223333", "444455556666" })
        {
            foreach (var region in new[] { "us-east-1", "eu-west-1" })
            {
                foreach (var day in new[] { new DateOnly(2025, 12, 31), new DateOnly(2026, 1, 9), new DateOnly(2026, 1, 10), new DateOnly(2026, 1, 20), new DateOnly(2026, 1, 21), new DateOnly(2026, 2, 1) })
                {
                    var key = $"{Trail}{account}/CloudTrail/{region}/{day:yyyy/MM/dd}/{account}_CloudTrail_{region}_{day:yyyyMMdd}T0000Z_F{day:yyyyMMdd}.json.gz";
                    await bed.PutObjectAsync(key, Gzip(Decrypts("w", 1)));
                    inJanuary += day.Month == 1 ? 1 : 0;
                    if (day >= new DateOnly(2026, 1, 10) && day <= new DateOnly(2026, 1, 20))
                    {
                        expected.Add(key);
                    }
                }

                await bed.PutObjectAsync($"{Trail}{account}/CloudTrail-Digest/{region}/2026/01/10/{account}_CloudTrail-Digest_{region}_t_{region}_20260110T000000Z.json.gz", Gzip("{}"));
            }
        }

        var request = Request(bed, keysPerMessage: 3, from: new DateOnly(2026, 1, 10), to: new DateOnly(2026, 1, 20));
        var counts = await new BackfillEnqueuer(bed.S3, bed.Sqs).RunAsync(request, null, CancellationToken.None);

        // Only January's folders were listed (no digest tree, no December or February), and exactly the files in range queued.
        Assert.Equal((inJanuary, 0L, expected.Count), ((int)counts.Listed, counts.Digests, (int)counts.Enqueued));
        Assert.Equal(expected.Order(StringComparer.Ordinal), (await QueuedKeysAsync(bed)).Order(StringComparer.Ordinal));

        // The whole-prefix listing finds the same files.
        var full = await new BackfillEnqueuer(bed.S3, bed.Sqs).RunAsync(request with { From = null, DryRun = true, To = new DateOnly(2026, 1, 20) }, null, CancellationToken.None);
        Assert.Equal(expected.Count + 8, (int)full.Enqueued); // plus December's and 9 January's, which a --to alone keeps
        Assert.Equal(4, full.Digests);
    }

    [Fact]
    public async Task Long_keys_are_sent_in_batches_that_stay_under_the_sqs_request_limit()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);

        // ~980-byte keys (S3 allows 1,024), 100 to a message: three messages are ~290 KB, past SQS's 256 KiB per batch.
        var prefix = new string('p', 850) + "/";
        var body = Gzip(Decrypts("long", 1));
        await Parallel.ForEachAsync(Enumerable.Range(0, 300), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            await bed.PutObjectAsync($"{prefix}{Trail}111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T1000Z_L{i:D4}.json.gz", body));
        using var sqs = new RecordingSqs(emulator);

        var counts = await new BackfillEnqueuer(bed.S3, sqs).RunAsync(new BackfillRequest(bed.Bucket, prefix, bed.QueueUrl, null, null, 100, DryRun: false), null, CancellationToken.None);

        Assert.Equal((300L, 3L), (counts.Enqueued, counts.Messages));
        Assert.True(sqs.BatchBytes.Count >= 2, $"{sqs.BatchBytes.Count} batch(es)");
        Assert.All(sqs.BatchBytes, bytes => Assert.True(bytes <= 256 * 1024, $"{bytes} bytes in one batch"));
        Assert.Equal(300, (await QueuedKeysAsync(bed)).Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>The emulator's SQS client, noting the size of every SendMessageBatch request it passes on.</summary>
    private sealed class RecordingSqs(EmulatorFixture emulator) : Amazon.SQS.AmazonSQSClient(EmulatorFixture.Credentials, new Amazon.SQS.AmazonSQSConfig { ServiceURL = emulator.ServiceUrl, AuthenticationRegion = EmulatorFixture.Region })
    {
        public List<int> BatchBytes { get; } = [];

        public override Task<SendMessageBatchResponse> SendMessageBatchAsync(SendMessageBatchRequest request, CancellationToken cancellationToken = default)
        {
            BatchBytes.Add(request.Entries.Sum(e => System.Text.Encoding.UTF8.GetByteCount(e.MessageBody)));
            return base.SendMessageBatchAsync(request, cancellationToken);
        }
    }

    private static async Task<List<string>> QueuedKeysAsync(WorkerTestBed bed)
    {
        var keys = new List<string>();
        while (true)
        {
            var received = await bed.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = bed.QueueUrl, MaxNumberOfMessages = 10 });
            if (received.Messages is not { Count: > 0 } messages)
            {
                return keys;
            }

            foreach (var m in messages)
            {
                keys.AddRange(NotificationParser.Parse(m.Body).Objects.Select(o => o.Key));
                await bed.Sqs.DeleteMessageAsync(bed.QueueUrl, m.ReceiptHandle);
            }
        }
    }
}
