using Microsoft.Extensions.Configuration;
using Pipeline.Ingest.Worker;
using Pipeline.Sink;

namespace Pipeline.Tests.Ingest.Worker;

public sealed class WorkerOptionsTests
{
    private static WorkerOptions Valid() => new()
    {
        QueueUrl = "https://sqs.us-east-1.amazonaws.com/111122223333/trail-events",
        AllowedBuckets = ["org-trail-bucket"],
        Output = "/tmp/out",
    };

    [Fact]
    public void Valid_settings_pass()
    {
        Assert.True(new WorkerOptionsValidator().Validate(null, Valid()).Succeeded);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_naming_the_setting_range_and_value()
    {
        var o = new WorkerOptions { WaitTimeSeconds = 25, MaxMessagesPerReceive = 11, VisibilityTimeout = TimeSpan.FromHours(13), HeartbeatInterval = TimeSpan.FromHours(7), WriterId = "bad id!" };
        var result = new WorkerOptionsValidator().Validate(null, o);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Worker:QueueUrl is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Worker:AllowedBuckets is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Worker:Output is required", StringComparison.Ordinal));
        Assert.Contains("Worker:WaitTimeSeconds must be between 0 and 20 (the SQS long-poll limit), got 25.", failures);
        Assert.Contains("Worker:MaxMessagesPerReceive must be between 1 and 10 (the SQS per-receive limit), got 11.", failures);
        Assert.Contains(failures, f => f.StartsWith("Worker:VisibilityTimeout must be between 00:00:01 and 12:00:00", StringComparison.Ordinal) && f.EndsWith("got 13:00:00.", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Worker:HeartbeatInterval", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Worker:WriterId", StringComparison.Ordinal));
        Assert.Equal(8, failures.Count);
    }

    [Fact]
    public void Startup_check_reports_bad_sink_and_reader_settings_with_the_worker_ones()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Worker:QueueUrl"] = "https://sqs.us-east-1.amazonaws.com/111122223333/trail-events",
            ["Worker:AllowedBuckets:0"] = "org-trail-bucket",
            ["Worker:WaitTimeSeconds"] = "21",
            ["Sink:FlushRows"] = "0",
            ["Reader:MaxDepth"] = "2",
            ["Reader:MaxRecordBytes"] = "100",
            ["Sink:FlushAge"] = "5",
        }).Build();

        var problems = WorkerStartupCheck.Problems(configuration);

        Assert.Contains(problems, p => p.StartsWith("Worker:Output is required", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Worker:WaitTimeSeconds", StringComparison.Ordinal));
        Assert.Contains("Sink:FlushRows must be between 1 and 50000000, got 0.", problems);
        Assert.Contains("Reader:MaxDepth must be between 8 and 1024, got 2.", problems);
        Assert.Contains(problems, p => p.StartsWith("Reader:MaxRecordBytes must be between ", StringComparison.Ordinal) && p.EndsWith(", got 100.", StringComparison.Ordinal));
        Assert.Contains("Sink:FlushAge must be between 00:00:01 and 06:00:00, got 5.00:00:00. ('5' is read as days: 00:00:05 would be 5 seconds)", problems);
    }

    [Fact]
    public void Startup_check_names_a_setting_whose_value_does_not_convert()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sink:FlushBytes"] = "lots",
        }).Build();

        var problems = WorkerStartupCheck.Problems(configuration);

        Assert.Contains(problems, p => p.Contains("'lots'", StringComparison.Ordinal) && p.Contains("Sink:FlushBytes", StringComparison.Ordinal));
    }

    [Fact]
    public void A_value_that_does_not_convert_does_not_hide_the_other_problems()
    {
        var output = Path.Combine(Path.GetTempPath(), "pipeline-worker-options-" + Guid.NewGuid().ToString("N"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Worker:QueueUrl"] = "https://sqs.us-east-1.amazonaws.com/111122223333/trail-events",
            ["Worker:AllowedBuckets:0"] = "org-trail-bucket",
            ["Worker:Output"] = output,
            ["Worker:VisibilityTimeout"] = "banana",
            ["Worker:MaxConcurrentMessages"] = "many",
            ["Worker:ObjectReadAttempts"] = "0",
            ["Worker:WaitTimeSeconds"] = "21",
        }).Build();

        var problems = WorkerStartupCheck.Problems(configuration);
        if (Directory.Exists(output))
        {
            Directory.Delete(output);
        }

        Assert.Contains(problems, p => p.Contains("'banana'", StringComparison.Ordinal) && p.Contains("Worker:VisibilityTimeout", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'many'", StringComparison.Ordinal) && p.Contains("Worker:MaxConcurrentMessages", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Worker:ObjectReadAttempts", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Worker:WaitTimeSeconds", StringComparison.Ordinal));
        Assert.Equal(4, problems.Count(p => p.Contains("Worker:", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_misspelt_setting_is_reported_with_the_name_it_was_probably_meant_to_be()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Worker:QueueUrl"] = "https://sqs.us-east-1.amazonaws.com/111122223333/trail-events",
            ["Worker:AllowedBuckets:0"] = "org-trail-bucket",
            ["Worker:Output"] = "s3://lake/kms",
            ["Worker:StopWhenIdelFor"] = "00:00:05",
            ["Sink:flushbytes"] = "16777216",
            ["Sink:Compression"] = "snappy",
        }).Build();

        var problems = WorkerStartupCheck.Problems(configuration).Where(p => !p.StartsWith("AWS region", StringComparison.Ordinal)).ToList();

        Assert.Equal(2, problems.Count);
        Assert.StartsWith("Worker:StopWhenIdelFor is not a setting. Did you mean Worker:StopWhenIdleFor? The settings of Worker are ", problems[0], StringComparison.Ordinal);
        Assert.StartsWith("Sink:Compression is not a setting. The settings of Sink are ", problems[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_problems_are_json_lines_when_the_logs_are_json()
    {
        string[] problems = ["Worker:QueueUrl is required.", "Worker:Output is required."];
        var at = new DateTime(2026, 1, 15, 10, 0, 0, DateTimeKind.Utc);

        var lines = Pipeline.Cli.Commands.WorkerCommand.ConfigurationErrors(problems, json: true, at).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(2, lines.Length);
        for (var i = 0; i < 2; i++)
        {
            using var line = System.Text.Json.JsonDocument.Parse(lines[i]);
            Assert.Equal("Critical", line.RootElement.GetProperty("LogLevel").GetString());
            Assert.Equal(6090, line.RootElement.GetProperty("EventId").GetInt32());
            Assert.Equal("2026-01-15T10:00:00.000Z", line.RootElement.GetProperty("Timestamp").GetString());
            Assert.Equal(problems[i], line.RootElement.GetProperty("State").GetProperty("Problem").GetString());
            Assert.Contains(problems[i], line.RootElement.GetProperty("Message").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal("error: the worker configuration is invalid:\n  - Worker:QueueUrl is required.\n  - Worker:Output is required.\n", Pipeline.Cli.Commands.WorkerCommand.ConfigurationErrors(problems, json: false, at));
    }

    [Theory]
    [InlineData("https://sqs.eu-west-1.amazonaws.com/111122223333/trail-events", "us-east-1", null, "eu-west-1")]
    [InlineData("https://sqs.us-east-1.amazonaws.com/111122223333/trail-events", "us-east-1", null, null)]
    [InlineData("https://sqs.eu-west-1.amazonaws.com/111122223333/trail-events", "us-east-1", "http://127.0.0.1:4566", null)]
    [InlineData("https://vpce-0abc.sqs.eu-west-1.vpce.amazonaws.com/111122223333/trail-events", "us-east-1", null, null)]
    [InlineData("http://127.0.0.1:4566/000000000000/trail-events", "us-east-1", null, null)]
    public void A_queue_in_another_region_than_the_sdks_is_a_setting_problem(string queueUrl, string region, string? endpoint, string? queueRegion)
    {
        var problem = WorkerStartupCheck.QueueRegionProblem(queueUrl, region, endpoint);

        if (queueRegion is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.StartsWith($"AWS region {region} is not the queue's region {queueRegion} (Worker:QueueUrl {queueUrl})", problem, StringComparison.Ordinal);
            Assert.Contains($"set AWS_REGION={queueRegion}", problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_output_folder_that_cannot_be_created_is_a_setting_problem()
    {
        var file = Path.GetTempFileName();
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Worker:QueueUrl"] = "https://sqs.us-east-1.amazonaws.com/111122223333/trail-events",
                ["Worker:AllowedBuckets:0"] = "org-trail-bucket",
                ["Worker:Output"] = Path.Combine(file, "dataset"),
            }).Build();

            var problem = Assert.Single(WorkerStartupCheck.Problems(configuration), p => p.Contains("Worker:", StringComparison.Ordinal) && !p.StartsWith("AWS region", StringComparison.Ordinal));

            Assert.StartsWith($"Worker:Output '{Path.Combine(file, "dataset")}': cannot create or open the dataset folder", problem, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Worker_with_a_config_file_that_is_not_json_exits_with_a_usage_error_naming_the_file()
    {
        var config = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".settings.json");
        await File.WriteAllTextAsync(config, """{"Worker": {"QueueUrl": """);
        try
        {
            var (exit, _, error) = await Support.CliRunner.RunAsync("worker", "--config", config);

            Assert.Equal(2, exit);
            Assert.Contains("cannot read the settings", error, StringComparison.Ordinal);
            Assert.Contains(Path.GetFileName(config), error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Theory]
    [InlineData("--confg", "unknown option '--confg'")]
    [InlineData("--bogus", "unknown option '--bogus'")]
    [InlineData("-c", "unknown option '-c'")]
    [InlineData("settings.json", "unexpected argument 'settings.json'")]
    [InlineData("--Worker:QueueUrl", "'--Worker:QueueUrl' has no value")]
    public async Task Worker_arguments_that_are_not_settings_are_a_usage_error_naming_them(string argument, string expected)
    {
        var (exit, _, error) = await Support.CliRunner.RunAsync("worker", argument);

        Assert.Equal(2, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_given_as_arguments_in_every_form_the_configuration_reads_are_accepted()
    {
        string[] arguments = ["--Worker:QueueUrl=https://sqs.us-east-1.amazonaws.com/1/q", "--Worker:Output", "/data/out", "/Sink:FlushAge=00:01:00", "--Worker:AllowedBuckets:0", "b"];

        Assert.Null(Pipeline.Cli.Commands.WorkerCommand.SettingArgumentProblem(arguments));
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:05")]
    public void A_progress_interval_that_is_not_positive_is_reported_naming_the_setting(string interval)
    {
        var o = Valid();
        o.ProgressInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture);
        var failure = Assert.Single(new WorkerOptionsValidator().Validate(null, o).Failures!);
        Assert.StartsWith("Worker:ProgressInterval must be between 00:00:01 and 1.00:00:00", failure, StringComparison.Ordinal);
        Assert.EndsWith($"got {o.ProgressInterval}.", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_idle_stop_is_reported_naming_the_setting()
    {
        var o = Valid();
        o.StopWhenIdleFor = TimeSpan.FromSeconds(-1);
        var failure = Assert.Single(new WorkerOptionsValidator().Validate(null, o).Failures!);
        Assert.Equal("Worker:StopWhenIdleFor must be 00:00:00 (never stop) or a positive time, got -00:00:01.", failure);
    }

    [Theory]
    [InlineData("org-trail-bucket", "AWSLogs/x.json.gz", true)]
    [InlineData("org-trail-bucket/AWSLogs/o-abc123def4/", "AWSLogs/o-abc123def4/111122223333/CloudTrail/x.json.gz", true)]
    [InlineData("org-trail-bucket/AWSLogs/o-abc123def4/", "AWSLogs/o-other00000/111122223333/CloudTrail/x.json.gz", false)]
    [InlineData("org-trail-bucket/AWSLogs/o-abc123def4/", "AWSLogs/o-abc123def4/../../secret.json.gz", true)]
    [InlineData("org-trail-bucket", "AWSLogs/\u0000evil", false)]
    public void Allow_list_matches_bucket_and_prefix_literally(string entry, string key, bool allowed)
    {
        Assert.Equal(allowed, new BucketAllowList([entry]).IsAllowed("org-trail-bucket", key));
        Assert.False(new BucketAllowList([entry]).IsAllowed("attacker-bucket", key));
    }

    [Theory]
    [InlineData("s3://out-bucket/kms/", true, "out-bucket", "kms/")]
    [InlineData("s3://out-bucket", true, "out-bucket", "")]
    [InlineData("S3://out-bucket/kms", true, "out-bucket", "kms/")]
    [InlineData("/data/out", false, null, "")]
    [InlineData("./s3:/data/out", false, null, "")]
    [InlineData("data/out:2026", false, null, "")]
    public void Output_is_a_local_folder_or_an_s3_prefix(string text, bool isS3, string? bucket, string prefix)
    {
        Assert.True(OutputLocation.TryParse(text, out var location, out _));
        Assert.Equal((isS3, bucket, prefix), (location.IsS3, location.Bucket, location.Prefix));
    }

    [Theory]
    [InlineData("s3://Bad_Bucket/x")]
    [InlineData("s3://good-bucket/a/../b")]
    [InlineData("gs://bucket/x")]
    [InlineData("s3:/lake/kms")]
    [InlineData("s3:lake/kms")]
    [InlineData("S3:/lake/kms")]
    public void Unusable_outputs_are_refused_with_a_reason(string text)
    {
        Assert.False(OutputLocation.TryParse(text, out _, out var problem));
        Assert.NotEmpty(problem);
    }

    [Theory]
    [InlineData(20, "00:00:45", "00:00:50")]
    [InlineData(0, "00:00:05", "00:00:10")]
    [InlineData(20, "2.00:00:00", "00:00:50")]
    public void A_stall_timeout_shorter_than_two_long_polls_or_longer_than_a_day_is_reported_naming_the_setting(int waitSeconds, string stall, string minimum)
    {
        var o = Valid();
        o.WaitTimeSeconds = waitSeconds;
        o.StallTimeout = TimeSpan.Parse(stall, System.Globalization.CultureInfo.InvariantCulture);
        var failure = Assert.Single(new WorkerOptionsValidator().Validate(null, o).Failures!);
        Assert.StartsWith($"Worker:StallTimeout must be 00:00:00 (never) or between {minimum} ", failure, StringComparison.Ordinal);
        Assert.EndsWith($"got {o.StallTimeout}.", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:50")]
    [InlineData("1.00:00:00")]
    public void A_stall_timeout_of_zero_or_within_its_range_is_accepted(string stall)
    {
        var o = Valid();
        o.StallTimeout = TimeSpan.Parse(stall, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(new WorkerOptionsValidator().Validate(null, o).Succeeded);
    }
}
