using Amazon.S3.Model;
using Pipeline.Diagnostics;
using Pipeline.Query;
using Pipeline.Tests.Ingest;
using Pipeline.Tests.Support;
using static Pipeline.Tests.Support.CloudTrailRecords;

namespace Pipeline.Tests.Emulator.Worker;

[Collection("emulator")]
public sealed class WorkerReliabilityTests(EmulatorFixture emulator)
{
    [Fact]
    public async Task Duplicate_notifications_and_redeliveries_do_not_duplicate_rows()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var key = await bed.PutLogAsync(Decrypts("dup", 6));
        for (var i = 0; i < 3; i++)
        {
            await bed.SendAsync(bed.S3Event(key));
        }

        await bed.SendAsync(NotificationParserTests.Sns(bed.S3Event(key)));

        // CloudTrail's own notification names no ETag: it must still find the read the S3 events started.
        await bed.SendAsync(NotificationParserTests.Sns(System.Text.Json.JsonSerializer.Serialize(new { s3Bucket = bed.Bucket, s3ObjectKey = new[] { key } })));
        await bed.RunWorkerAsync();

        // The same object notified again later (a redelivery after the first copy was deleted).
        await bed.SendAsync(bed.S3Event(key));
        await bed.RunWorkerAsync();

        Assert.Equal(6, await bed.CountAsync());
        Assert.True(await bed.CountAsync("select count(*) from kms_events_all") == 6, bed.LogText);
        Assert.Equal(0, await bed.MessagesLeftAsync());
    }

    // Worker:Ledger=false saves a GET and a PUT per log file on an s3:// dataset: a worker still skips duplicates of what
    // it ingested itself, and after a restart it stores a redelivered object's rows again, which kms_events hides.
    [Fact]
    public async Task Without_the_stored_ledger_a_worker_skips_only_what_it_ingested_itself_and_writes_no_marker()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var key = await bed.PutLogAsync(Decrypts("noledger", 5));
        var settings = bed.Settings(("Worker:Ledger", "false"));
        for (var i = 0; i < 3; i++)
        {
            await bed.SendAsync(bed.S3Event(key));
        }

        Assert.Equal(0, await bed.RunWorkerAsync(settings));
        Assert.True(await bed.CountAsync("select count(*) from kms_events_all") == 5, bed.LogText);

        // A restarted worker remembers nothing: the object notified again is stored again.
        await bed.SendAsync(bed.S3Event(key));
        Assert.Equal(0, await bed.RunWorkerAsync(settings));
        Assert.Equal(10, await bed.CountAsync("select count(*) from kms_events_all"));
        Assert.Equal(5, await bed.CountAsync());
        Assert.False(Directory.Exists(Path.Combine(bed.Output, "_ledger")), bed.LogText);
        Assert.Equal(0, await bed.MessagesLeftAsync());
    }

    [Fact]
    public async Task Poison_messages_and_corrupt_objects_go_to_the_dead_letter_queue_while_good_rows_land()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator, maxReceiveCount: 2);
        var good = await bed.PutLogAsync(Decrypts("good", 5));
        var corruptJson = Decrypts("bad", 5);
        var corrupt = await bed.PutLogAsync(corruptJson[..(corruptJson.Length / 2)]);
        await bed.SendAsync("this is not a notification at all <script>");
        await bed.SendAsync(bed.S3Event(corrupt));
        await bed.SendAsync(bed.S3Event(good));

        // Short visibility so that the poison messages come back soon, but with room for a heartbeat delayed on a loaded
        // CI machine (at 1 s a lapse let the good message be received a second time and then moved to the DLQ too).
        await bed.RunWorkerAsync(bed.Settings(("Worker:VisibilityTimeout", "00:00:04"), ("Worker:HeartbeatInterval", "00:00:01"), ("Worker:StopWhenIdleFor", "00:00:10")));

        Assert.Equal(5, await bed.CountAsync());
        Assert.Equal(0, await bed.MessagesLeftAsync());
        Assert.True(await bed.MessagesLeftAsync(bed.DeadLetterQueueUrl) == 2, bed.LogText);
        Assert.True(bed.Logs.Count(EventIds.Worker + 4) >= 1, bed.LogText);
        Assert.True(bed.Logs.Count(EventIds.Worker + 11) >= 1, bed.LogText);
        Assert.Contains(bed.Logs.Entries, e => e.EventId == EventIds.Worker + 4 && e.Message.Contains("this is not a notification", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_flush_slower_than_the_visibility_timeout_keeps_the_message_invisible_until_it_is_deleted()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var key = await bed.PutLogAsync(Decrypts("slow", 3));
        await bed.SendAsync(bed.S3Event(key));

        // Visibility 6 s, heartbeat every second: several ticks may be late under CI load (a CI run with every test
        // collection busy once saw a 4 s visibility lapse) without the message reappearing. The flush waits more than
        // twice the visibility timeout. The worker stays up past the flush age (an idle worker that stops flushes at
        // once, which would skip the wait).
        await bed.RunWorkerAsync(bed.Settings(
            ("Worker:VisibilityTimeout", "00:00:06"),
            ("Worker:HeartbeatInterval", "00:00:01"),
            ("Sink:FlushAge", "00:00:14"),
            ("Worker:StopWhenIdleFor", "00:00:16")));

        Assert.Equal(3, await bed.CountAsync("select count(*) from kms_events_all"));
        Assert.True(bed.Logs.Count(EventIds.Worker + 10) == 1, "the object was read more than once:\n" + bed.LogText);
        Assert.True(bed.Logs.Count(EventIds.Worker + 9) == 0, "the message came back before it was deleted:\n" + bed.LogText);
        Assert.True(bed.Logs.Count(EventIds.Worker + 16) == 0, "a visibility extension was refused:\n" + bed.LogText);
        Assert.Equal(0, await bed.MessagesLeftAsync());
    }

    [Fact]
    public async Task The_shutdown_summary_counts_what_the_worker_did_and_its_peak_memory()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var keys = new[] { await bed.PutLogAsync(Decrypts("sum-a", 3)), await bed.PutLogAsync(Decrypts("sum-b", 2)) };
        foreach (var key in keys)
        {
            await bed.SendAsync(bed.S3Event(key));
        }

        await bed.SendAsync(bed.S3Event(keys[0]));
        await bed.RunWorkerAsync();

        var summary = Assert.Single(bed.Logs.Entries, e => e.EventId == EventIds.Worker + 25).Message;
        Assert.Contains("3 messages received, 3 deleted, 0 returned", summary, StringComparison.Ordinal);
        Assert.Contains($"2 objects read, {await S3BytesAsync(bed, keys)} bytes (compressed), 5 KMS rows", summary, StringComparison.Ordinal);
        var peak = System.Text.RegularExpressions.Regex.Match(summary, @"peak working set ([\d.]+) MB");
        Assert.True(peak.Success && double.Parse(peak.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 10, summary);
    }

    // Found by a walkthrough: with no grace period, a message whose rows were published but whose delete was cut off
    // was released instead, and on the emulator a long poll the stop had cancelled took it again, invisible for its
    // whole visibility timeout.
    [Fact]
    public async Task Messages_whose_rows_are_published_are_deleted_on_the_way_out_even_with_no_grace_period()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        for (var i = 0; i < 3; i++)
        {
            await bed.SendAsync(bed.S3Event(await bed.PutLogAsync(Decrypts($"late{i}", 2))));
        }

        var allRead = Task.Run(async () =>
        {
            while (bed.Logs.Count(EventIds.Worker + 10) < 3)
            {
                await Task.Delay(50);
            }
        });
        await bed.RunWorkerAsync(
            bed.Settings(("Worker:ShutdownGracePeriod", "00:00:00"), ("Sink:FlushAge", "00:05:00"), ("Worker:StopWhenIdleFor", "00:00:00"), ("Worker:VisibilityTimeout", "00:10:00")),
            TimeSpan.FromSeconds(60),
            stopWhen: allRead);

        Assert.Equal(6, await bed.CountAsync());
        Assert.True(await bed.MessagesLeftAsync() == 0, "messages left on the queue:\n" + bed.LogText);
        Assert.Contains(", 3 deleted, 0 returned,", Assert.Single(bed.Logs.Entries, e => e.EventId == EventIds.Worker + 25).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_running_worker_logs_progress_lines_whose_counts_match_what_it_did()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var keys = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            keys.Add(await bed.PutLogAsync(Decrypts($"progress{i}", 3)));
            await bed.SendAsync(bed.S3Event(keys[^1]));
        }

        // No idle stop: the worker runs until a progress line reports every message deleted, then stops as on SIGTERM.
        var allDeleted = bed.Logs.WaitForAsync(e => e.EventId == EventIds.Worker + 27 && e.Message.Contains(", 4 deleted,", StringComparison.Ordinal));
        await bed.RunWorkerAsync(bed.Settings(("Worker:ProgressInterval", "00:00:01"), ("Worker:StopWhenIdleFor", "00:00:00")), TimeSpan.FromSeconds(60), stopWhen: allDeleted);

        var progress = await allDeleted;
        Assert.Contains("4 messages received, 4 deleted, 0 returned", progress, StringComparison.Ordinal);
        Assert.Contains($"4 objects read, {await S3BytesAsync(bed, keys)} bytes (compressed), 12 KMS rows since start", progress, StringComparison.Ordinal);
        Assert.Matches(@"over the last \d+ s; \d+ messages in flight$", progress);
        Assert.Equal(4, bed.Logs.Count(EventIds.Worker + 20));
        Assert.DoesNotContain(bed.Logs.Entries, e => e.EventId == EventIds.Worker + 20 && e.Level != Microsoft.Extensions.Logging.LogLevel.Debug);
        Assert.Equal(0, await bed.MessagesLeftAsync());
    }

    private static async Task<long> S3BytesAsync(WorkerTestBed bed, IEnumerable<string> keys)
    {
        long total = 0;
        foreach (var key in keys)
        {
            total += (await bed.S3.GetObjectMetadataAsync(bed.Bucket, key)).ContentLength;
        }

        return total;
    }

    // Found by the load test: a worker told to stop when idle waited for the flush age (5 minutes by default) first,
    // because messages whose rows were read but not yet flushed counted as work in progress.
    [Fact]
    public async Task A_worker_draining_a_backlog_stops_once_idle_without_waiting_for_the_flush_age()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var key = await bed.PutLogAsync(Decrypts("idle", 4));
        await bed.SendAsync(bed.S3Event(key));

        await bed.RunWorkerAsync(bed.Settings(("Sink:FlushAge", "00:05:00"), ("Worker:StopWhenIdleFor", "00:00:01")), TimeSpan.FromSeconds(30));

        Assert.Equal(4, await bed.CountAsync());
        Assert.Equal(0, await bed.MessagesLeftAsync());
        Assert.True(bed.Logs.Count(EventIds.Worker + 20) == 1, "the message was not deleted once:\n" + bed.LogText);
    }

    [Fact]
    public async Task A_worker_told_to_stop_after_one_message_takes_one_and_stops_without_waiting_for_the_flush_age()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        for (var i = 0; i < 3; i++)
        {
            await bed.SendAsync(bed.S3Event(await bed.PutLogAsync(Decrypts($"one{i}", 2))));
        }

        var exit = await bed.RunWorkerAsync(
            bed.Settings(("Worker:StopAfterMessages", "1"), ("Worker:MaxConcurrentMessages", "4"), ("Sink:FlushAge", "00:05:00"), ("Worker:StopWhenIdleFor", "00:00:00")),
            TimeSpan.FromSeconds(30));

        Assert.Equal(0, exit);
        Assert.Equal(2, await bed.CountAsync());
        Assert.True(bed.Logs.Count(EventIds.Worker + 20) == 1, "not exactly one message deleted:\n" + bed.LogText);
        Assert.Equal(2, await bed.MessagesLeftAsync());
    }

    [Fact]
    public async Task Two_workers_sharing_a_queue_ingest_each_object_once()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        for (var i = 0; i < 16; i++)
        {
            var key = await bed.PutLogAsync(Decrypts($"w{i}", 4));
            await bed.SendAsync(bed.S3Event(key));
        }

        await Task.WhenAll(
            bed.RunWorkerAsync(bed.Settings(("Worker:WriterId", "w1"), ("Worker:MaxConcurrentMessages", "2"))),
            bed.RunWorkerAsync(bed.Settings(("Worker:WriterId", "w2"), ("Worker:MaxConcurrentMessages", "2"))));

        Assert.Equal(64, await bed.CountAsync("select count(*) from kms_events_all"));
        Assert.Equal(16, bed.Logs.Count(EventIds.Worker + 10));
        Assert.Equal(0, await bed.MessagesLeftAsync());
    }

    [Fact]
    public async Task Output_to_an_s3_prefix_lands_queryable_parquet_and_ledger_markers_under_that_prefix()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var outBucket = emulator.UniqueName("out");
        await bed.S3.PutBucketAsync(outBucket);
        var key = await bed.PutLogAsync(Decrypts("s3out", 7));
        await bed.SendAsync(bed.S3Event(key));

        await bed.RunWorkerAsync(bed.Settings(("Worker:Output", $"s3://{outBucket}/datasets/kms")));

        var listed = await bed.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = outBucket, Prefix = "datasets/kms/" });
        var keys = listed.S3Objects.Select(o => o.Key).ToList();
        Assert.Contains(keys, k => k.StartsWith("datasets/kms/kms_events/event_date=2026-01-15/part-test-", StringComparison.Ordinal) && k.EndsWith(".parquet", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.StartsWith("datasets/kms/_ledger/", StringComparison.Ordinal));
        Assert.DoesNotContain(keys, k => k.Contains(".tmp-", StringComparison.Ordinal));

        var local = Path.Combine(bed.Output, "downloaded");
        foreach (var k in keys.Where(k => k.EndsWith(".parquet", StringComparison.Ordinal)))
        {
            var path = Path.Combine(local, k["datasets/kms/".Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var o = await bed.S3.GetObjectAsync(outBucket, k);
            await using var f = File.Create(path);
            await o.ResponseStream.CopyToAsync(f);
        }

        using var q = DatasetQuery.Open(local);
        Assert.Equal(7L, Convert.ToInt64(await q.QueryScalarAsync("select count(*) from kms_events", CancellationToken.None), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_notification_for_a_bucket_outside_the_allow_list_is_refused_without_fetching()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var other = emulator.UniqueName("attacker");
        await bed.S3.PutBucketAsync(other);
        var key = await bed.PutLogAsync(Decrypts("forged", 2));
        await bed.SendAsync(bed.S3Event(key).Replace(bed.Bucket, other, StringComparison.Ordinal));

        await bed.RunWorkerAsync();

        Assert.Equal(1, bed.Logs.Count(EventIds.Worker + 7));
        Assert.Equal(0, bed.Logs.Count(EventIds.Worker + 10));
        Assert.Equal(0, await bed.CountAsync());
        Assert.Equal(1, await bed.MessagesLeftAsync());
    }

    [Fact]
    public async Task A_notification_for_an_object_that_does_not_exist_is_reported_and_left_on_the_queue()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var good = await bed.PutLogAsync(Decrypts("present", 3));
        await bed.SendAsync(NotificationParserTests.S3Event("AWSLogs/o-abcdef1234/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T1059Z_Missing0000000001.json.gz", bed.Bucket));
        await bed.SendAsync(bed.S3Event(good));

        await bed.RunWorkerAsync();

        Assert.Equal(3, await bed.CountAsync());
        Assert.Contains(bed.Logs.Entries, e => e.EventId == EventIds.Worker + 11 && e.Message.Contains("NoSuchKey", StringComparison.Ordinal));
        Assert.Equal(1, await bed.MessagesLeftAsync());
    }

    [Fact]
    public async Task A_notification_for_a_bucket_that_does_not_exist_says_so_rather_than_blaming_the_key()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        const string Missing = "no-such-trail-bucket-0000";
        await bed.SendAsync(NotificationParserTests.S3Event("AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T1059Z_Missing0000000002.json.gz", Missing));

        await bed.RunWorkerAsync(bed.Settings(("Worker:AllowedBuckets:1", Missing)));

        var failure = Assert.Single(bed.Logs.Entries, e => e.EventId == EventIds.Worker + 11).Message;
        Assert.Contains($"the bucket {Missing} does not exist", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("NoSuchKey", failure, StringComparison.Ordinal);
        Assert.Equal(1, await bed.MessagesLeftAsync());
    }

    [Fact]
    public async Task An_object_not_named_like_a_cloudtrail_log_file_is_skipped_with_a_line_at_the_default_level_and_counted()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        const string Key = "exports/kms-2026-01-14.json.gz";
        await bed.PutObjectAsync(Key, CloudTrailRecords.Gzip(Decrypts("export", 3)));
        await bed.SendAsync(bed.S3Event(Key));

        await bed.RunWorkerAsync();

        Assert.Equal(0, await bed.CountAsync("select count(*) from kms_events_all"));
        var skipped = Assert.Single(bed.Logs.Entries, e => e.EventId == EventIds.Worker + 31);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, skipped.Level);
        Assert.Contains($"s3://{bed.Bucket}/{Key}", skipped.Message, StringComparison.Ordinal);
        Assert.Contains("1 objects skipped as not CloudTrail log files", Assert.Single(bed.Logs.Entries, e => e.EventId == EventIds.Worker + 25).Message, StringComparison.Ordinal);
        Assert.Equal(0, await bed.MessagesLeftAsync());
    }

    [Fact]
    public async Task Sigterm_during_an_idle_long_poll_stops_the_worker_without_waiting_for_the_poll()
    {
        // Docker stops a container with SIGKILL 10 s after SIGTERM by default: a worker that first waited out its
        // 20 s long poll on an empty queue would be killed before it had even begun to drain.
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        using var child = WorkerProcess.Start(emulator, bed.Settings(("Worker:StopWhenIdleFor", "00:00:00"), ("Worker:WaitTimeSeconds", "20")));
        Assert.True(await child.WaitForOutputAsync("polling", TimeSpan.FromSeconds(30)), child.OutputText);
        await Task.Delay(2000); // inside the first long poll

        var stop = System.Diagnostics.Stopwatch.StartNew();
        child.Terminate();
        var exit = await child.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exit == 0, child.OutputText);
        Assert.True(stop.Elapsed < TimeSpan.FromSeconds(10), $"stopped {stop.Elapsed.TotalSeconds:F1} s after SIGTERM:\n{child.OutputText}");
        Assert.Contains("Stopped:", child.OutputText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_health_command_reports_a_running_worker_as_healthy_and_a_stopped_one_as_not()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var settings = bed.Settings(("Worker:StopWhenIdleFor", "00:00:00"));
        var healthFile = settings["Worker:HealthFile"]!;
        using var child = WorkerProcess.Start(emulator, settings);
        try
        {
            Assert.True(await child.WaitForOutputAsync("polling", TimeSpan.FromSeconds(30)), child.OutputText);
            // The file is rewritten every 5 s; the first receive turns Starting into Running.
            var (running, output) = (1, string.Empty);
            for (var i = 0; i < 30 && !output.Contains("\"state\":\"Running\"", StringComparison.Ordinal); i++)
            {
                await Task.Delay(500);
                (running, output, _) = await CliRunner.RunAsync("health", "--file", healthFile);
            }

            Assert.True(running == 0, output);
            Assert.Contains("\"state\":\"Running\"", output, StringComparison.Ordinal);
        }
        finally
        {
            child.Terminate();
            await child.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        var (stopped, stoppedOutput, _) = await CliRunner.RunAsync("health", "--file", healthFile);
        Assert.True(stopped == 1, stoppedOutput);
        Assert.Equal(1, (await CliRunner.RunAsync("health", "--file", healthFile + ".missing")).ExitCode);
    }

    [Fact]
    public async Task An_unwritable_output_keeps_messages_on_the_queue_reports_unhealthy_and_recovers()
    {
        // With a dead-letter queue after 2 receives: a worker that took a message to test the output would walk it
        // into the DLQ over a long outage; it probes the output itself and takes nothing until that works.
        await using var bed = await WorkerTestBed.CreateAsync(emulator, maxReceiveCount: 2);
        for (var i = 0; i < 3; i++)
        {
            await bed.SendAsync(bed.S3Event(await bed.PutLogAsync(Decrypts($"full{i}", 4))));
        }

        // A file where the table directory should be: every Parquet write fails, as on a full or read-only disk.
        Directory.CreateDirectory(bed.Output);
        var blocker = Path.Combine(bed.Output, "kms_events");
        await File.WriteAllTextAsync(blocker, "not a directory");
        var settings = bed.Settings(("Worker:VisibilityTimeout", "00:00:02"), ("Worker:HeartbeatInterval", "00:00:00.5"), ("Worker:MaxBackoff", "00:00:01"), ("Worker:StopWhenIdleFor", "00:00:06"));
        var run = bed.RunWorkerAsync(settings, TimeSpan.FromSeconds(90));

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (bed.Logs.Count(EventIds.Worker + 23) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(bed.Logs.Count(EventIds.Worker + 23) > 0, bed.LogText);
        Assert.Equal(3, await bed.MessagesLeftAsync());
        await Task.Delay(5500); // the health file is rewritten every 5 s
        Assert.Contains("\"state\":\"Degraded\"", await File.ReadAllTextAsync(settings["Worker:HealthFile"]!), StringComparison.Ordinal);
        Assert.True(bed.Logs.Count(EventIds.Worker + 28) >= 3, bed.LogText); // probed several times, no message taken

        File.Delete(blocker); // space comes back
        await run;

        Assert.Equal(12, await bed.CountAsync("select count(*) from kms_events_all"));
        Assert.Equal(0, await bed.MessagesLeftAsync());
        Assert.True(await bed.MessagesLeftAsync(bed.DeadLetterQueueUrl) == 0, bed.LogText);
        Assert.True(bed.Logs.Count(EventIds.Worker + 24) > 0, bed.LogText);
    }

    [Fact]
    public async Task An_output_bucket_that_does_not_exist_stops_the_worker_as_a_setting_to_fix()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator, maxReceiveCount: 2);
        await bed.SendAsync(bed.S3Event(await bed.PutLogAsync(Decrypts("kept", 2))));

        var exit = await bed.RunWorkerAsync(bed.Settings(("Worker:Output", "s3://no-such-lake-" + Guid.NewGuid().ToString("N")[..8] + "/kms"), ("Worker:S3ForcePathStyle", "true")));

        Assert.Equal(2, exit);
        Assert.Contains(bed.Logs.Entries, e => e.EventId == EventIds.Worker + 3 && e.Message.Contains("Worker:Output", StringComparison.Ordinal) && e.Message.Contains("NoSuchBucket", StringComparison.Ordinal));
        Assert.Equal(1, await bed.MessagesLeftAsync()); // not taken, so not on its way to the dead-letter queue
        Assert.Equal(0, await bed.MessagesLeftAsync(bed.DeadLetterQueueUrl));
    }

    [Fact]
    public async Task An_object_overwritten_after_its_notification_is_skipped_and_its_new_version_is_read_once()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var key = await bed.PutLogAsync(Decrypts("v1", 2));
        var staleNotification = bed.S3Event(key);
        await bed.PutObjectAsync(key, Gzip(Decrypts("v2", 3)));
        await bed.SendAsync(staleNotification);
        await bed.SendAsync(bed.S3Event(key));

        await bed.RunWorkerAsync();

        Assert.Equal(1, bed.Logs.Count(EventIds.Worker + 13));
        Assert.Equal(["v2-0", "v2-1", "v2-2"], await bed.EventIdsAsync());
        Assert.Equal(0, await bed.MessagesLeftAsync());
    }

    [Fact]
    public async Task A_queue_that_does_not_exist_stops_the_worker_with_a_clear_error_and_exit_code()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var exit = await bed.RunWorkerAsync(bed.Settings(("Worker:QueueUrl", bed.QueueUrl + "-missing")));
        Assert.Equal(3, exit);
        var fatal = Assert.Single(bed.Logs.Entries, e => e.EventId == EventIds.Worker + 3).Message;
        Assert.Contains("NonExistentQueue", fatal, StringComparison.Ordinal);
        Assert.Contains($"Worker:QueueUrl '{bed.QueueUrl}-missing' names no queue", fatal, StringComparison.Ordinal);
        Assert.DoesNotContain("..", fatal, StringComparison.Ordinal);
    }
}
