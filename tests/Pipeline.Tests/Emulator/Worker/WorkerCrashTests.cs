using Xunit.Abstractions;
using static Pipeline.Tests.Support.CloudTrailRecords;

namespace Pipeline.Tests.Emulator.Worker;

/// <summary>The real executable killed and stopped mid-work: nothing lost, nothing duplicated in <c>kms_events</c>.</summary>
[Collection("emulator")]
public sealed class WorkerCrashTests(EmulatorFixture emulator, ITestOutputHelper output)
{
    private static async Task<HashSet<string>> LoadAsync(WorkerTestBed bed, int objects, int kmsPerObject)
    {
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (var o = 0; o < objects; o++)
        {
            var ids = Enumerable.Range(0, kmsPerObject).Select(i => $"obj{o:D3}-{i:D4}").ToList();
            expected.UnionWith(ids);
            var key = await bed.PutLogAsync(Document(ids.SelectMany(id => new[] { AssumedRoleDecrypt(id), Ec2Record(id + "-x") }).ToArray()));
            await bed.SendAsync(bed.S3Event(key));
        }

        return expected;
    }

    [Fact]
    public async Task A_worker_killed_with_sigkill_mid_batch_loses_and_duplicates_nothing_after_a_restart()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var expected = await LoadAsync(bed, objects: 24, kmsPerObject: 300);
        var childSettings = bed.Settings(
            ("Worker:VisibilityTimeout", "00:00:03"),
            ("Worker:HeartbeatInterval", "00:00:01"),
            ("Worker:StopWhenIdleFor", "00:00:00"),
            ("Sink:FlushRows", "700"),
            ("Sink:FlushAge", "00:00:01"),
            ("Worker:MaxConcurrentMessages", "2"));

        var random = new Random(20261128);
        for (var round = 0; round < 3; round++)
        {
            using var child = WorkerProcess.Start(emulator, childSettings);
            Assert.True(await child.WaitForOutputAsync("polling", TimeSpan.FromSeconds(30)), child.OutputText);
            await Task.Delay(random.Next(200, 1500));
            child.KillHard();
        }

        // A fresh worker drains what is left, including messages the killed ones held (visible again after 3 s).
        await bed.RunWorkerAsync(bed.Settings(("Worker:StopWhenIdleFor", "00:00:06"), ("Worker:VisibilityTimeout", "00:00:03"), ("Worker:HeartbeatInterval", "00:00:01")), TimeSpan.FromSeconds(120));

        Assert.Equal(expected.Order(StringComparer.Ordinal), await bed.EventIdsAsync());
        Assert.Equal(0, await bed.MessagesLeftAsync());
    }

    [Fact]
    [Trait("Category", "Crash")]
    public async Task Twenty_sigkills_at_random_points_over_a_generated_archive_lose_and_duplicate_nothing()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var archive = Path.Combine(bed.Output + "-archive");
        var manifest = await Pipeline.Generation.ArchiveGenerator.GenerateAsync(
            new Pipeline.Generation.GeneratorOptions { OutputDirectory = archive, Days = 2, EndDate = new DateOnly(2026, 1, 14), Seed = 99, TargetUncompressedBytes = 64L * 1024 * 1024, DeliveryMinutes = 30 },
            null,
            CancellationToken.None);
        try
        {
            var files = Pipeline.Ingest.LocalArchiveWalker.Walk([archive]).Files.ToList();
            output.WriteLine($"archive: {files.Count} log files, {files.Sum(f => f.Length) / 1e6:F1} MB gzip, {manifest.DistinctKmsEventIds} distinct KMS events");
            foreach (var file in files)
            {
                var key = Path.GetRelativePath(archive, file.Path).Replace('\\', '/');
                await bed.PutObjectAsync(key, await File.ReadAllBytesAsync(file.Path));
                await bed.SendAsync(bed.S3Event(key));
            }

            var childSettings = bed.Settings(
                ("Worker:VisibilityTimeout", "00:00:02"),
                ("Worker:HeartbeatInterval", "00:00:00.5"),
                ("Worker:StopWhenIdleFor", "00:00:00"),
                ("Sink:FlushRows", "400"),
                ("Sink:FlushAge", "00:00:01"),
                ("Sink:SpillBytes", "1048576"),
                ("Worker:MaxConcurrentMessages", "3"));
            // Each kill lands at a random point after the worker started reading objects (its start-up, the first SDK
            // calls included, takes about a second): during reads, Parquet writes, renames, ledger markers or deletes.
            // The point is a number of objects read (1-160), not a delay: a worker reads ~1.6 objects per ms at full
            // speed, and a kill delayed by a busy machine once let a round drain most of the archive (1,357 objects),
            // leaving the later rounds nothing to interrupt.
            var random = new Random(1128);
            var killedWithWorkInHand = 0;
            for (var round = 0; round < 20; round++)
            {
                using var child = WorkerProcess.Start(emulator, childSettings);
                var reading = await child.WaitForOutputAsync(": read s3://", TimeSpan.FromSeconds(20));
                var killAfter = random.Next(1, 161);
                if (reading)
                {
                    await child.WaitForOutputCountAsync(": read s3://", killAfter, TimeSpan.FromSeconds(2));
                }

                child.KillHard();
                var reads = child.Output.Count(line => line.Contains(": read s3://", StringComparison.Ordinal));
                var left = await bed.MessagesLeftAsync();
                killedWithWorkInHand += reading && left > 0 ? 1 : 0;
                output.WriteLine($"round {round + 1}: killed after {reads} objects read; {left} messages left");
                if (!reading)
                {
                    Assert.True(left == 0, $"round {round + 1}: the worker read nothing in 20 s while {left} messages were left:\n{child.OutputText}");
                    break;
                }
            }

            Assert.True(killedWithWorkInHand >= 15, $"only {killedWithWorkInHand} of 20 kills hit a worker with work in hand");

            await bed.RunWorkerAsync(bed.Settings(("Worker:StopWhenIdleFor", "00:00:05"), ("Worker:VisibilityTimeout", "00:00:02"), ("Worker:HeartbeatInterval", "00:00:00.5")), TimeSpan.FromSeconds(180));

            Assert.Equal(manifest.DistinctKmsEventIds, await bed.CountAsync());
            Assert.Equal(manifest.DistinctKmsEventIds, await bed.CountAsync("select count(distinct event_id) from kms_events"));
            Assert.Equal(0, await bed.MessagesLeftAsync());
            Assert.DoesNotContain(Directory.GetFiles(bed.Output, "*.parquet", SearchOption.AllDirectories), f => Path.GetFileName(f).StartsWith(".tmp-", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(archive, recursive: true);
        }
    }

    [Fact]
    public async Task Sigterm_flushes_what_was_read_deletes_it_and_strands_no_message()
    {
        await using var bed = await WorkerTestBed.CreateAsync(emulator);
        var expected = await LoadAsync(bed, objects: 16, kmsPerObject: 300);

        // A long visibility timeout: anything the stopping worker does not finish must be released explicitly,
        // or the drain below would not see it.
        using var child = WorkerProcess.Start(emulator, bed.Settings(
            ("Worker:VisibilityTimeout", "00:05:00"),
            ("Worker:HeartbeatInterval", "00:00:05"),
            ("Worker:StopWhenIdleFor", "00:00:00"),
            ("Sink:FlushAge", "00:01:00"),
            ("Worker:MaxConcurrentMessages", "2")));
        Assert.True(await child.WaitForOutputAsync(": read s3://", TimeSpan.FromSeconds(30)), child.OutputText);
        child.Terminate();
        var exit = await child.WaitForExitAsync(TimeSpan.FromSeconds(40));

        Assert.True(exit == 0, child.OutputText);
        Assert.Contains("Stopped:", child.OutputText, StringComparison.Ordinal);
        Assert.True(await bed.CountAsync() > 0, "the rows read before SIGTERM were flushed on the way out:\n" + child.OutputText);

        await bed.RunWorkerAsync(bed.Settings(("Worker:StopWhenIdleFor", "00:00:03")), TimeSpan.FromSeconds(60));
        Assert.Equal(expected.Order(StringComparer.Ordinal), await bed.EventIdsAsync());
        Assert.Equal(0, await bed.MessagesLeftAsync());
    }
}
