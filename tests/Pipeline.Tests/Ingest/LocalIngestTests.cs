using Pipeline.Ingest;
using Pipeline.Parsing;
using Pipeline.Query;
using Pipeline.Sink;
using Pipeline.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using static Pipeline.Tests.Support.CloudTrailRecords;

namespace Pipeline.Tests.Ingest;

public sealed class LocalIngestTests : IDisposable
{
    private readonly TrailFolder _trail = new();
    private readonly TempDataset _data = new();

    private readonly List<string> _configs = [];

    public void Dispose()
    {
        _trail.Dispose();
        _data.Dispose();
        _configs.ForEach(File.Delete);
    }

    private async Task<long> CountAsync(string view = "kms_events")
    {
        using var q = DatasetQuery.Open(_data.Root);
        return Convert.ToInt64(await q.QueryScalarAsync($"select count(*) from {view}", CancellationToken.None), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Archives_in_a_folder_are_named_in_the_summary_and_one_named_on_the_command_line_is_an_error()
    {
        _trail.AddLogFile(Decrypts("a", 5));
        var tar = _trail.AddFile("downloads/flaws_cloudtrail_logs.tar.gz", Gzip("not a log"u8.ToArray()));
        var zip = _trail.AddFile("downloads/security-datasets.zip", "PK"u8.ToArray());

        var (exit, output, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);

        Assert.True(exit == 0, output + error);
        Assert.Contains("10 read, 5 KMS", output, StringComparison.Ordinal);
        Assert.Contains($"  not read       2 archive or compressed files, which ingest does not open: {tar}: a tar archive, not a log file; unpack it (tar -xf) and ingest the files it holds; {zip}: a zip archive, not a log file; unpack it (unzip) and ingest the files it holds", output, StringComparison.Ordinal);
        Assert.Contains("0 other files", output, StringComparison.Ordinal);

        var (named, namedOutput, namedError) = await CliRunner.RunAsync("ingest", zip, "--out", _data.Root);

        Assert.True(named == 1, namedOutput + namedError);
        Assert.Contains($"error: {zip}: a zip archive, not a log file; unpack it (unzip) and ingest the files it holds", namedError, StringComparison.Ordinal);
        Assert.DoesNotContain("not read", namedOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_writes_one_row_per_kms_event_and_prints_a_summary()
    {
        _trail.AddLogFile(Decrypts("a", 20));
        _trail.AddLogFile(Decrypts("b", 30));

        var (exit, output, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);

        Assert.True(exit == 0, error);
        Assert.Contains("100 read, 50 KMS", output, StringComparison.Ordinal);
        Assert.Contains("50 rows", output, StringComparison.Ordinal);
        Assert.Equal(50, await CountAsync());
    }

    [Fact]
    public async Task The_summary_counts_kms_records_stored_with_a_derived_event_id()
    {
        var noId = AssumedRoleDecrypt("x").Replace("\"eventID\":\"x\",", string.Empty, StringComparison.Ordinal);
        _trail.AddLogFile(Document(noId, AssumedRoleDecrypt("with-id"), noId.Replace("10:05:12Z", "10:05:13Z", StringComparison.Ordinal)));

        var (exit, output, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);

        Assert.True(exit == 0, error);
        Assert.Contains("no eventID     2 KMS records had none", output, StringComparison.Ordinal);
        Assert.Equal(3, await CountAsync());
        var (_, plain, _) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root, "--force");
        Assert.Contains("no eventID", plain, StringComparison.Ordinal);
        _trail.AddLogFile(Document(AssumedRoleDecrypt("only-ids")));
        var (_, clean, _) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);
        Assert.DoesNotContain("no eventID", clean, StringComparison.Ordinal); // the line appears only when there were some
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // the project's platform: the tests and the container run on Linux
    public async Task A_folder_that_cannot_be_listed_is_an_error_and_the_other_files_are_still_ingested()
    {
        // It stopped the whole run with an unhandled UnauthorizedAccessException. Permissions do not bind root, so as
        // root the command runs as the unprivileged user 65534 (setpriv, util-linux) in a child process.
        _trail.AddLogFile(Decrypts("readable", 3));
        var locked = Path.GetDirectoryName(_trail.AddFile("locked/111122223333_CloudTrail_us-east-1_20260115T1100Z_lockedfile.json.gz", Gzip(Decrypts("locked", 2))))!;
        File.SetUnixFileMode(locked, UnixFileMode.None);
        File.SetUnixFileMode(_data.Root, (UnixFileMode)0b111_111_111);
        try
        {
            var (exit, output, error) = Environment.UserName == "root"
                ? await RunAsUnprivilegedAsync("ingest", _trail.Root, "--out", _data.Root)
                : await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);

            Assert.True(exit == 1, output + error);
            Assert.Contains(locked + ": the folder cannot be listed (permission denied), so none of its files were read", error, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled", error, StringComparison.Ordinal);
            Assert.Contains("3 KMS", output, StringComparison.Ordinal);
        }
        finally
        {
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Assert.Equal(3, await CountAsync());
    }

    [Fact]
    public async Task A_file_listed_but_not_found_by_its_name_is_an_error_not_passed_over_in_silence()
    {
        // A name that is not valid UTF-8 cannot be spelled in a .NET string: the walk lists it, but no path reaches it.
        _trail.AddLogFile(Decrypts("good", 2));
        var day = Path.GetDirectoryName(_trail.AddLogFile(Decrypts("other", 1), region: "eu-west-1"))!;
        // Empty, as an empty file whose status can be read is not opened: this one's cannot, so it is opened, and fails.
        var bash = System.Diagnostics.Process.Start("bash", ["-c", "touch \"$1\"/$'\\xff'.json.gz", "touch", day])!;
        await bash.WaitForExitAsync();
        Assert.Equal(0, bash.ExitCode);

        var (exit, output, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);

        Assert.True(exit == 1, output + error);
        Assert.Contains(day + "/\uFFFD.json.gz: cannot be read", error, StringComparison.Ordinal);
        Assert.Equal(3, await CountAsync());
    }

    [Fact]
    public async Task A_file_name_with_a_newline_or_terminal_escapes_cannot_forge_error_lines()
    {
        _trail.AddLogFile(Decrypts("good", 2));
        using var other = new TrailFolder();
        var forged = other.AddFile("x\nerror: all files ingested\u001b[2J.json", "not json"u8.ToArray());

        // Named on the command line, so it must be a log: its failure is an error line that names it.
        var (exit, output, error) = await CliRunner.RunAsync("ingest", _trail.Root, forged, "--out", _data.Root);

        Assert.True(exit == 1, output + error);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', error);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsUnprivilegedAsync(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", "dotnet", "exec", Path.Combine(AppContext.BaseDirectory, "pipeline.dll"), .. args])
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["HOME"] = Path.GetTempPath();
        psi.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        using var process = System.Diagnostics.Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task Digest_insight_and_unrelated_files_are_skipped_without_reading_them()
    {
        _trail.AddLogFile(Decrypts("a", 3));
        _trail.AddFile("AWSLogs/o-abcdef1234/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_org_us-east-1_20260115T110000Z.json.gz", Gzip("{\"digest\":true}"));
        _trail.AddFile("AWSLogs/o-abcdef1234/111122223333/CloudTrail-Insight/us-east-1/2026/01/15/111122223333_CloudTrail-Insight_us-east-1_20260115T1100Z_abc.json.gz", Gzip("not json"));
        _trail.AddFile("notes/readme.txt", "hello"u8.ToArray());

        var (exit, output, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);

        Assert.True(exit == 0, error);
        Assert.Contains("skipped 1 digest, 1 Insight, 1 other files", output, StringComparison.Ordinal);
        Assert.Equal(3, await CountAsync());
    }

    [Fact]
    public async Task Logs_under_other_names_in_a_folder_are_ingested_and_other_json_files_are_passed_over()
    {
        // Published trails keep names of their own (flaws.cloud: flaws_cloudtrail00.json.gz); a folder also holds manifests
        // and exports that are JSON but not log documents. Only a damaged log document is an error.
        _trail.AddFile("flaws/flaws_cloudtrail00.json.gz", Gzip(Decrypts("renamed-gz", 3)));
        _trail.AddFile("exports/decrypts.json", System.Text.Encoding.UTF8.GetBytes(Decrypts("renamed-plain", 2)));
        _trail.AddFile("manifest.json", "{\"files\": 2}"u8.ToArray());
        _trail.AddFile("exports/records.json", System.Text.Encoding.UTF8.GetBytes("[" + AssumedRoleDecrypt("array-1") + "," + AssumedRoleDecrypt("array-2") + "]")); // jq '.Records'
        _trail.AddFile("exports/users.json", "[{\"name\":\"alice\"}]"u8.ToArray());
        _trail.AddFile("exports/app.jsonl", "{\"level\":\"info\"}\n{\"level\":\"warn\"}\n"u8.ToArray()); // JSON Lines, not records
        _trail.AddFile("exports/flow-logs.gz", Gzip("2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 1024 6 1 40 1 2 ACCEPT OK"));
        _trail.AddFile("notes/readme.txt", "hello"u8.ToArray());
        var damaged = _trail.AddFile("flaws/flaws_cloudtrail01.json.gz", Gzip(Decrypts("damaged", 4)[..300]));

        var (exit, output, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);

        Assert.Equal(1, exit);
        Assert.Contains("4 log files (0 already ingested, 1 failed); skipped 0 digest, 0 Insight, 5 other files", output, StringComparison.Ordinal);
        Assert.Contains(damaged, error, StringComparison.Ordinal);
        Assert.DoesNotContain("manifest.json", error, StringComparison.Ordinal);
        Assert.DoesNotContain("app.jsonl", error, StringComparison.Ordinal);
        Assert.DoesNotContain("flow-logs", error, StringComparison.Ordinal);
        Assert.DoesNotContain("users.json", error, StringComparison.Ordinal);
        Assert.Equal(7, await CountAsync());
    }

    [Fact]
    public async Task The_event_history_saved_with_lookup_events_is_ingested_from_a_folder()
    {
        // aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventSource,AttributeValue=kms.amazonaws.com > ...
        var events = string.Join(",", Enumerable.Range(0, 3).Select(i =>
            "{\"EventId\":\"h-" + i + "\",\"EventName\":\"Decrypt\",\"CloudTrailEvent\":" + System.Text.Json.JsonSerializer.Serialize(AssumedRoleDecrypt("h-" + i)) + "}"));
        _trail.AddFile("history/kms-us-east-1.json", System.Text.Encoding.UTF8.GetBytes("{\"Events\":[" + events + "],\"NextToken\":\"t\"}"));

        var (exit, output, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);

        Assert.True(exit == 0, error);
        Assert.Contains("1 log file (", output, StringComparison.Ordinal);
        Assert.Equal(3, await CountAsync());
    }

    [Fact]
    public async Task A_file_named_as_a_log_that_holds_no_records_array_is_still_an_error()
    {
        var path = _trail.AddLogFile("{\"digest\": true}");

        var (exit, output, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);

        Assert.Equal(1, exit);
        Assert.Contains(path, error, StringComparison.Ordinal);
        Assert.Contains("no 'Records' array", error, StringComparison.Ordinal);
        Assert.Contains("1 log file (0 already ingested, 1 failed)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_folder_without_any_log_file_says_what_ingest_reads()
    {
        _trail.AddFile("manifest.json", "{\"files\": 0}"u8.ToArray());
        _trail.AddFile("notes/readme.txt", "hello"u8.ToArray());

        var (exit, output, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);

        Assert.True(exit == 0, error);
        Assert.Contains("0 log files", output, StringComparison.Ordinal);
        Assert.Contains("none of them is a CloudTrail log file", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Re_ingesting_the_same_files_is_skipped_by_the_ledger()
    {
        _trail.AddLogFile(Decrypts("a", 5));
        Assert.Equal(0, (await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root)).ExitCode);

        var (exit, output, _) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);

        Assert.Equal(0, exit);
        Assert.Contains("(1 already ingested", output, StringComparison.Ordinal);
        Assert.Equal(5, await CountAsync("kms_events_all"));
    }

    [Fact]
    public async Task Files_skipped_as_already_ingested_are_not_counted_as_bytes_read()
    {
        var path = _trail.AddLogFile(Decrypts("a", 5));
        var first = await RunAsync(spillBytes: 16L * 1024 * 1024, path);

        var again = await RunAsync(spillBytes: 16L * 1024 * 1024, path);

        Assert.Equal(new FileInfo(path).Length, first.BytesIn);
        Assert.Equal((1, 0L), (again.FilesSkippedAlreadyIngested, again.BytesIn));
    }

    [Fact]
    public async Task Forced_re_ingest_stores_copies_that_the_kms_events_view_shows_once()
    {
        _trail.AddLogFile(Decrypts("a", 5));
        await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);
        await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root, "--force");

        Assert.Equal(10, await CountAsync("kms_events_all"));
        Assert.Equal(5, await CountAsync());
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // the project's platform: the tests and the container run on Linux
    public async Task A_FIFO_named_as_a_log_is_reported_without_being_opened_and_does_not_hang_the_run()
    {
        // Opening a FIFO waits for a writer: ingest of a folder holding one named like a log hung for good. It lists as
        // 0 bytes, like an empty file, and neither is opened now; both are errors, and the other files are ingested.
        _trail.AddLogFile(Decrypts("good", 3));
        var empty = _trail.AddFile("AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T1200Z_emptyfile.json.gz", []);
        var fifo = Path.Combine(Path.GetDirectoryName(empty)!, "111122223333_CloudTrail_us-east-1_20260115T1205Z_fifoaaaa.json.gz");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var run = CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);
        try
        {
            var (exit, output, error) = await run.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(1, exit);
            Assert.Contains(fifo + ": the file is empty: 0 bytes (a FIFO or a device file also lists as 0 bytes, and is not opened)", error, StringComparison.Ordinal);
            Assert.Contains(empty + ": the file is empty", error, StringComparison.Ordinal);
            Assert.Contains("2 failed", output, StringComparison.Ordinal);
            Assert.Equal(3, await CountAsync());
        }
        finally
        {
            if (!run.IsCompleted)
            {
                // Release a reader blocked on the FIFO, so that the failed run does not keep a thread of the test host.
                using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write);
            }
        }
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_link_to_a_FIFO_in_the_folder_or_on_the_command_line_is_reported_without_being_opened()
    {
        // A link lists with its own size, not its target's, so a link named like a log that points at a FIFO was opened
        // and the run waited for a writer for good. The target's size is read now for links only.
        var good = _trail.AddLogFile(Decrypts("good", 3));
        var fifo = Path.GetFullPath(Path.Combine(_data.Root, "..", Path.GetFileName(_data.Root) + ".fifo"));
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var inFolder = Path.Combine(Path.GetDirectoryName(good)!, "111122223333_CloudTrail_us-east-1_20260115T1205Z_linkaaaaaaaaaaaa.json.gz");
        File.CreateSymbolicLink(inFolder, fifo);
        var named = Path.GetFullPath(Path.Combine(_data.Root, "..", Path.GetFileName(_data.Root) + "-named.json.gz"));
        File.CreateSymbolicLink(named, fifo);
        var linkToGood = Path.Combine(Path.GetDirectoryName(good)!, "111122223333_CloudTrail_us-east-1_20260115T1210Z_goodlinkaaaaaaaa.json.gz");
        File.CreateSymbolicLink(linkToGood, good);

        var run = CliRunner.RunAsync("ingest", _trail.Root, named, "--out", _data.Root);
        try
        {
            var (exit, output, error) = await run.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(1, exit);
            Assert.Contains(inFolder + ": the file is empty: 0 bytes (a FIFO or a device file also lists as 0 bytes, and is not opened)", error, StringComparison.Ordinal);
            Assert.Contains(named + ": the file is empty", error, StringComparison.Ordinal);
            Assert.Contains("2 failed", output, StringComparison.Ordinal);
            Assert.Equal(3, await CountAsync()); // the link to the good file is read too: its copies are hidden by the view
            Assert.Equal(6, await CountAsync("kms_events_all"));
        }
        finally
        {
            if (!run.IsCompleted)
            {
                // Release readers blocked on the FIFO, so that the failed run does not keep threads of the test host.
                for (var i = 0; i < 2 && !run.IsCompleted; i++)
                {
                    using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                }
            }

            File.Delete(fifo);
            File.Delete(named);
        }
    }

    [Fact]
    public async Task A_bad_file_is_reported_and_the_other_files_are_still_ingested()
    {
        _trail.AddLogFile(Decrypts("good", 4));
        var bad = _trail.AddLogFile(Decrypts("bad", 4)[..200]);

        var (exit, output, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root);

        Assert.Equal(1, exit);
        Assert.Contains(bad, error, StringComparison.Ordinal);
        Assert.Contains("1 failed", output, StringComparison.Ordinal);
        Assert.Equal(4, await CountAsync());
    }

    [Fact]
    public async Task Sink_settings_from_a_config_file_apply_to_ingest()
    {
        _trail.AddLogFile(Decrypts("a", 20));
        _trail.AddLogFile(Decrypts("b", 20));
        _trail.AddLogFile(Decrypts("c", 20));
        var config = WriteConfig("""{"Sink":{"FlushRows":10}}""");

        var (exit, output, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root, "--config", config, "--parallel", "1");

        // Default settings write the 60 rows as one file; flushing every 10 rows publishes each file's rows on their own.
        Assert.True(exit == 0, error);
        Assert.Contains("60 rows in 3 Parquet files", output, StringComparison.Ordinal);
        Assert.Equal(60, await CountAsync());
    }

    [Fact]
    public async Task Every_bad_setting_is_reported_at_once_before_anything_is_written()
    {
        _trail.AddLogFile(Decrypts("a", 5));
        var config = WriteConfig("""{"Sink":{"FlushBytes":5,"RowGroupRows":1,"FlushAge":"banana"},"Reader":{"MaxDepth":0,"MaxDecompressedBytes":5,"MaxRecordBytes":"lots"}}""");

        var (exit, _, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root, "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("error: Sink:FlushBytes", error, StringComparison.Ordinal);
        Assert.Contains("error: Sink:RowGroupRows", error, StringComparison.Ordinal);
        Assert.Contains("error: Reader:MaxDepth must be between 8 and 1024, got 0.", error, StringComparison.Ordinal);
        // Values that do not convert are said like the others, setting first, with the kind of value it takes.
        Assert.Contains("error: Sink:FlushAge: 'banana' is not a duration such as 00:05:00", error, StringComparison.Ordinal);
        Assert.Contains("error: Reader:MaxRecordBytes: 'lots' is not a whole number.", error, StringComparison.Ordinal);
        Assert.Contains("between 1048576 and 9223372036854775807, got 5.", error, StringComparison.Ordinal); // not 9.2E+18
        Assert.False(Directory.Exists(Path.Combine(_data.Root, "kms_events")));
    }

    [Fact]
    public async Task A_missing_config_file_is_a_usage_error()
    {
        _trail.AddLogFile(Decrypts("a", 5));

        var (exit, _, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root, "--config", Path.Combine(_trail.Root, "nope.json"));

        Assert.Equal(2, exit);
        Assert.Contains("nope.json' does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_config_file_that_is_not_json_is_a_usage_error_naming_the_file()
    {
        _trail.AddLogFile(Decrypts("a", 5));
        var config = WriteConfig("""{"Sink": {"FlushRows": """);

        var (exit, _, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root, "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("cannot read the settings", error, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(config), error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_decompressed_size_flag_overrides_the_reader_setting()
    {
        _trail.AddLogFile(Decrypts("a", 2000));
        var config = WriteConfig("""{"Reader":{"MaxDecompressedBytes":1048576}}""");

        var (refused, _, refusal) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root, "--config", config);
        Assert.Equal(1, refused);
        Assert.Contains("1048576", refusal, StringComparison.Ordinal);

        var (exit, _, error) = await CliRunner.RunAsync("ingest", _trail.Root, "--out", _data.Root, "--config", config, "--max-decompressed-mb", "64");
        Assert.True(exit == 0, error);
        Assert.Equal(2000, await CountAsync());
    }

    private string WriteConfig(string json)
    {
        var path = Path.Combine(_data.Root, "..", Guid.NewGuid().ToString("N") + ".settings.json");
        File.WriteAllText(path, json);
        _configs.Add(path);
        return path;
    }

    [Fact]
    public async Task A_missing_input_is_a_usage_error()
    {
        var (exit, _, error) = await CliRunner.RunAsync("ingest", Path.Combine(_trail.Root, "nope"), "--out", _data.Root);
        Assert.Equal(2, exit);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_large_file_is_spilled_while_reading_and_published_whole()
    {
        var path = _trail.AddLogFile(Decrypts("big", 3000));
        var summary = await RunAsync(spillBytes: 1024 * 1024, path);

        Assert.Empty(summary.Errors);
        Assert.Equal(3000, summary.RowsWritten);
        Assert.True(summary.ParquetFiles > 1, "expected the rows to be spilled to several files");
        Assert.Equal(3000, await CountAsync());
        Assert.DoesNotContain(_data.AllFiles(), f => f.Contains(".tmp-", StringComparison.Ordinal));

        // Every row, also those read after a spill emptied the batch and refilled it, names its source and position.
        using var query = DatasetQuery.Open(_data.Root);
        var lineage = await query.QueryRowsAsync("SELECT src_key, src_bucket, count(*), count(DISTINCT src_record_index) FROM kms_events_all GROUP BY ALL", CancellationToken.None);
        var only = Assert.Single(lineage);
        Assert.Equal((Path.GetFullPath(path), (object?)null, 3000L, 3000L), ((string)only[0]!, only[1], (long)only[2]!, (long)only[3]!));
    }

    [Fact]
    public async Task A_large_file_that_fails_after_spilling_leaves_no_rows_and_no_temporary_files()
    {
        var json = Decrypts("big", 3000);
        var path = _trail.AddLogFile(json[..(json.Length - 10)]);
        var summary = await RunAsync(spillBytes: 1024 * 1024, path);

        Assert.Single(summary.Errors);
        Assert.Equal(0, summary.RowsWritten);
        Assert.Empty(_data.ParquetFiles());
        Assert.DoesNotContain(_data.AllFiles(), f => f.Contains(".tmp-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task When_the_rows_cannot_be_written_every_file_is_reported_failed_and_none_is_marked_ingested()
    {
        var a = _trail.AddLogFile(Decrypts("a", 5));
        var b = _trail.AddLogFile(Decrypts("b", 7));

        // A plain file where the partition folders must go: publishing any Parquet file fails.
        File.WriteAllText(Path.Combine(_data.Root, DatasetLayout.TableDirectory), "not a folder");
        var summary = await RunAsync(spillBytes: 16L * 1024 * 1024, _trail.Root);

        Assert.Equal(0, summary.RowsWritten);
        Assert.Equal([a, b], summary.Errors.Select(e => e.Source).Order(StringComparer.Ordinal));
        Assert.All(summary.Errors, e => Assert.StartsWith("writing its rows failed: ", e.Message, StringComparison.Ordinal));

        // Nothing was marked ingested, so a second run (once the dataset is writable) reads both files.
        File.Delete(Path.Combine(_data.Root, DatasetLayout.TableDirectory));
        var again = await RunAsync(spillBytes: 16L * 1024 * 1024, _trail.Root);
        Assert.Empty(again.Errors);
        Assert.Equal(12, again.RowsWritten);
    }

    [Fact]
    public async Task Files_are_read_while_the_walk_is_still_counting_them_and_the_summary_has_the_count()
    {
        _trail.AddLogFile(Decrypts("a", 5));
        _trail.AddLogFile(Decrypts("b", 7));
        _trail.AddFile("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20260115T1130Z.json.gz", "{}"u8.ToArray());
        var walked = LocalArchiveWalker.Walk([_trail.Root]);
        var counting = new TaskCompletionSource<WalkCounts>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runner = new LocalIngestRunner(new IngestOptions { Parallelism = 1, WriterId = "t" }, new ReaderOptions(), new SinkOptions(), _data.Store, TimeProvider.System, NullLoggerFactory.Instance);
        var totalsSeen = new List<int?>();

        IEnumerable<LocalSource> Files()
        {
            foreach (var file in walked.Files)
            {
                totalsSeen.Add(runner.Progress!.TotalFiles);
                yield return file;
            }

            counting.SetResult(walked.Counted.Result); // the count ends after the last file was handed out
        }

        var summary = await runner.RunAsync(new WalkResult(Files(), [], counting.Task), CancellationToken.None);

        Assert.Equal([null, null], totalsSeen);
        Assert.Equal(2, runner.Progress!.TotalFiles);
        Assert.Equal(2, summary.Files);
        Assert.Equal(1, summary.DigestFilesSkipped);
        Assert.Equal(12, summary.RowsWritten);
        Assert.Empty(summary.Errors);
    }

    private async Task<IngestSummary> RunAsync(long spillBytes, params string[] inputs)
    {
        var runner = new LocalIngestRunner(
            new IngestOptions { Parallelism = 2, WriterId = "t" },
            new ReaderOptions(),
            new SinkOptions { SpillBytes = spillBytes },
            _data.Store,
            TimeProvider.System,
            NullLoggerFactory.Instance);
        return await runner.RunAsync(LocalArchiveWalker.Walk(inputs), CancellationToken.None);
    }
}
