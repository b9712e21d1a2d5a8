using Microsoft.Extensions.Logging;
using Pipeline.Ingest;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Ingest;

public sealed class LocalArchiveWalkerTests : IDisposable
{
    private readonly TrailFolder _trail = new();

    public void Dispose() => _trail.Dispose();

    private static string Log(string account, string region, string stamp, string unique) =>
        $"AWSLogs/o-abcdef1234/{account}/CloudTrail/{region}/{stamp[..4]}/{stamp[4..6]}/{stamp[6..8]}/{account}_CloudTrail_{region}_{stamp}_{unique}.json.gz";

    [Fact]
    public async Task Files_come_in_the_ordinal_order_of_their_full_paths_across_nested_folders()
    {
        // Names around the separator: "a.json" sorts before "a/…" ('.' < '/'), "a-b/…" before "a/…" ('-' < '/'),
        // "a0.json" after it ('0' > '/'); upper case before lower case.
        string[] names =
        [
            "a/x.json", "a.json", "a-b/y.json", "a0.json", "a/b/z.json", "a/B.json", "Z/q.json", "a/b.json",
            Log("111122223333", "us-east-1", "20260115T1105Z", "bbbb"), Log("111122223333", "us-east-1", "20260115T1100Z", "aaaa"),
            Log("111122223333", "eu-west-1", "20260116T0005Z", "cccc"), Log("999988887777", "us-east-1", "20260114T2355Z", "dddd"),
        ];
        foreach (var name in names)
        {
            _trail.AddFile(name, "{}"u8.ToArray());
        }

        var walk = LocalArchiveWalker.Walk([_trail.Root]);

        var counts = await walk.Counted;

        var paths = walk.Files.Select(f => f.Path).ToList();
        var expected = names.Select(n => Path.GetFullPath(Path.Combine(_trail.Root, n))).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, paths);
        Assert.Equal(names.Length, counts.Files);
        Assert.Equal(4, walk.Files.Count(f => f.NamedAsLog));
    }

    [Fact]
    public async Task Counting_in_the_background_finds_what_the_synchronous_walk_finds()
    {
        _trail.AddFile(Log("111122223333", "us-east-1", "20260115T1100Z", "aaaa"), "{}"u8.ToArray());
        _trail.AddFile(Log("111122223333", "us-east-1", "20260115T1105Z", "bbbb"), "{}"u8.ToArray());
        _trail.AddFile("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20260115T1130Z.json.gz", "{}"u8.ToArray());
        _trail.AddFile("exports/maybe.json", "{}"u8.ToArray());
        _trail.AddFile("notes/readme.md", "hello"u8.ToArray());
        _trail.AddFile("downloads/logs.tar.gz", "x"u8.ToArray());
        using var elsewhere = new TrailFolder();
        var named = elsewhere.AddFile("single/bundle.zip", "PK"u8.ToArray());
        string[] inputs = [_trail.Root, named, Path.Combine(_trail.Root, "absent")];

        var walked = LocalArchiveWalker.Walk(inputs);
        var started = LocalArchiveWalker.Start(inputs);
        var counts = await started.Counted.WaitAsync(TimeSpan.FromSeconds(30));
        var expected = await walked.Counted;

        Assert.Equal(expected, counts with { PackedExamples = expected.PackedExamples, PackedNamed = expected.PackedNamed, Unreadable = expected.Unreadable });
        Assert.Equal(expected.PackedExamples, counts.PackedExamples);
        Assert.Equal(expected.PackedNamed, counts.PackedNamed);
        Assert.Equal(expected.Unreadable, counts.Unreadable);
        Assert.Equal(walked.Files.Select(f => f.Path), started.Files.Select(f => f.Path));
        Assert.Equal(walked.Missing, started.Missing);
        Assert.Equal((3, 1, 1, 1), (counts.Files, counts.Digests, counts.Others, counts.Packed));
        Assert.Equal([named], counts.PackedNamed);
    }

    [Fact]
    public async Task Each_file_passed_over_by_its_name_is_named_in_the_verbose_log()
    {
        // A published folder holds notes, YAML fixtures and scripts next to its logs: ingest counts them as "other
        // files", and --verbose names each one, so a log saved under an unexpected name is not skipped unseen.
        _trail.AddFile(Log("111122223333", "us-east-1", "20260115T1100Z", "aaaa"), "{}"u8.ToArray());
        _trail.AddFile("fixtures/kms_decrypt.yml", "records: []"u8.ToArray());
        _trail.AddFile("notes/readme.md", "hello"u8.ToArray());
        _trail.AddFile("exports/maybe.json", "{}"u8.ToArray()); // read in case it is a log: not passed over by its name
        using var logs = new CapturingLoggerProvider();

        var walk = LocalArchiveWalker.Walk([_trail.Root], logger: logs.CreateLogger("walk"));

        var counts = await walk.Counted;

        Assert.Equal(2, counts.Others);
        var skipped = logs.Entries.Where(e => e.Level == LogLevel.Debug).Select(e => e.Message).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, skipped.Count);
        Assert.StartsWith("Skipped " + Path.Combine(_trail.Root, "fixtures", "kms_decrypt.yml") + ": neither named as a CloudTrail log file", skipped[0], StringComparison.Ordinal);
        Assert.Contains("name it on the command line to read it anyway", skipped[0], StringComparison.Ordinal);
        Assert.StartsWith("Skipped " + Path.Combine(_trail.Root, "notes", "readme.md"), skipped[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Archives_and_files_compressed_other_than_with_gzip_are_counted_and_named_not_read()
    {
        // Published datasets are downloaded as a tar of .json.gz files or a zip of JSON. A .tar.gz ends in .gz, so it
        // used to be opened as a log and passed over as "not a CloudTrail log"; none of them is read now, and the
        // summary names them with how to unpack them.
        _trail.AddFile(Log("111122223333", "us-east-1", "20260115T1100Z", "aaaa"), "{}"u8.ToArray());
        _trail.AddFile("downloads/flaws_cloudtrail_logs.tar", "tar"u8.ToArray());
        _trail.AddFile("downloads/attack.TGZ", "tgz"u8.ToArray());
        _trail.AddFile("downloads/security-datasets.zip", "zip"u8.ToArray());
        _trail.AddFile("downloads/events.json.bz2", "bz2"u8.ToArray());
        _trail.AddFile("downloads/logs.tar.gz", "tgz"u8.ToArray());
        _trail.AddFile("downloads/notes.txt", "hello"u8.ToArray());
        using var logs = new CapturingLoggerProvider();

        var walk = LocalArchiveWalker.Walk([_trail.Root], logger: logs.CreateLogger("walk"));

        var counts = await walk.Counted;

        Assert.Equal(["aaaa"], walk.Files.Select(f => Path.GetFileNameWithoutExtension(Path.GetFileNameWithoutExtension(f.Path)).Split('_')[^1]));
        Assert.Equal(1, counts.Files);
        Assert.Equal(5, counts.Packed);
        Assert.Equal(1, counts.Others);
        var folder = Path.Combine(_trail.Root, "downloads");
        Assert.Equal([Path.Combine(folder, "attack.TGZ"), Path.Combine(folder, "events.json.bz2"), Path.Combine(folder, "flaws_cloudtrail_logs.tar")], counts.PackedExamples);
        Assert.Empty(counts.PackedNamed);
        Assert.Contains(logs.Entries, e => e.Message == $"Skipped {Path.Combine(folder, "logs.tar.gz")}: a tar archive, not a log file; unpack it (tar -xf) and ingest the files it holds");
    }

    [Fact]
    public async Task An_archive_named_on_the_command_line_is_listed_apart_and_not_read()
    {
        var zip = _trail.AddFile("security-datasets.zip", "zip"u8.ToArray());
        var log = _trail.AddFile(Log("111122223333", "us-east-1", "20260115T1100Z", "aaaa"), "{}"u8.ToArray());

        var walk = LocalArchiveWalker.Walk([zip, log]);

        var counts = await walk.Counted;

        Assert.Equal([log], walk.Files.Select(f => f.Path));
        Assert.Equal([zip], counts.PackedNamed);
        Assert.Equal(0, counts.Packed);
    }

    [Theory]
    [InlineData("trail.tar.gz", "a tar archive")]
    [InlineData("trail.TAR.XZ", "a tar archive")]
    [InlineData("trail.tbz2", "a tar archive")]
    [InlineData("trail.zip", "a zip archive")]
    [InlineData("trail.7z", "a 7-Zip archive")]
    [InlineData("events.json.zst", "compressed with zstd")]
    [InlineData("events.ndjson.xz", "compressed with xz")]
    [InlineData("111122223333_CloudTrail_us-east-1_20260115T1100Z_aaaa.json.gz", null)]
    [InlineData("events.json", null)]
    [InlineData("notes.gz", null)]
    public void A_packed_file_is_told_by_its_name(string name, string? what)
    {
        Assert.Equal(what, PackedFile.Describe(name)?.What);
    }

    [Fact]
    public async Task Folders_are_listed_when_the_walk_reaches_them_not_before_the_first_file()
    {
        // The walk lists a folder when it reaches it: a file added to a later day's folder after the first file was read
        // is found (a walk that listed everything up front would not see it).
        _trail.AddFile(Log("111122223333", "us-east-1", "20260115T1100Z", "aaaa"), "{}"u8.ToArray());
        _trail.AddFile(Log("111122223333", "us-east-1", "20260116T1100Z", "bbbb"), "{}"u8.ToArray());
        var walk = LocalArchiveWalker.Walk([_trail.Root]);
        var counts = await walk.Counted;

        using var files = walk.Files.GetEnumerator();
        Assert.True(files.MoveNext());
        Assert.EndsWith("_aaaa.json.gz", files.Current.Path, StringComparison.Ordinal);
        _trail.AddFile(Log("111122223333", "us-east-1", "20260116T1105Z", "cccc"), "{}"u8.ToArray());
        var rest = new List<string>();
        while (files.MoveNext())
        {
            rest.Add(Path.GetFileName(files.Current.Path));
        }

        Assert.Equal(["111122223333_CloudTrail_us-east-1_20260116T1100Z_bbbb.json.gz", "111122223333_CloudTrail_us-east-1_20260116T1105Z_cccc.json.gz"], rest);
        Assert.Equal(2, counts.Files); // the count is the first pass's
    }

    [Fact]
    public async Task An_input_inside_another_input_and_a_repeated_input_are_walked_once()
    {
        var inner = _trail.AddFile(Log("111122223333", "us-east-1", "20260115T1100Z", "aaaa"), "{}"u8.ToArray());
        _trail.AddFile(Log("111122223333", "us-east-1", "20260115T1105Z", "bbbb"), "{}"u8.ToArray());
        var day = Path.GetDirectoryName(inner)!;

        var walk = LocalArchiveWalker.Walk([day, _trail.Root, inner, _trail.Root + "/", day]);

        var counts = await walk.Counted;

        Assert.Equal(2, walk.Files.Count());
        Assert.Equal(2, counts.Files);
    }

    [Fact]
    public async Task The_dataset_folder_inside_an_input_is_not_walked()
    {
        _trail.AddFile(Log("111122223333", "us-east-1", "20260115T1100Z", "aaaa"), "{}"u8.ToArray());
        _trail.AddFile("data/_ledger/20260115/marker.json", "{}"u8.ToArray());
        _trail.AddFile("data/kms_events/event_date=2026-01-15/part.json", "{}"u8.ToArray());

        var walk = LocalArchiveWalker.Walk([_trail.Root], exclude: Path.Combine(_trail.Root, "data"));

        var counts = await walk.Counted;

        Assert.Equal(["aaaa"], walk.Files.Select(f => Path.GetFileNameWithoutExtension(Path.GetFileNameWithoutExtension(f.Path)).Split('_')[^1]));
        Assert.Equal(1, counts.Files);
        Assert.Equal(0, counts.Others);
    }

    [Fact]
    public async Task A_link_back_to_a_folder_being_walked_is_not_followed_again_but_a_linked_folder_is_read()
    {
        _trail.AddFile(Log("111122223333", "us-east-1", "20260115T1100Z", "aaaa"), "{}"u8.ToArray());
        var elsewhere = Path.Combine(Path.GetTempPath(), "walker-linked-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(elsewhere);
        try
        {
            File.WriteAllText(Path.Combine(elsewhere, "copied.json"), "{}");
            Directory.CreateSymbolicLink(Path.Combine(_trail.Root, "linked"), elsewhere);
            Directory.CreateSymbolicLink(Path.Combine(_trail.Root, "AWSLogs", "loop"), _trail.Root);

            var walk = LocalArchiveWalker.Walk([_trail.Root]);

            var counts = await walk.Counted;

            var names = walk.Files.Select(f => Path.GetFileName(f.Path)).ToList();
            Assert.Equal(2, names.Count);
            Assert.Contains("copied.json", names);
            Assert.Equal(2, counts.Files);
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    // The size and time make a file's ledger identity: taken from the directory entry, they must be what FileInfo gave
    // (for a link, the link's own), or files ingested by an earlier version would all be read again.
    [Fact]
    public void A_file_and_a_linked_file_carry_the_size_and_time_that_file_info_gives()
    {
        var plain = _trail.AddFile(Log("111122223333", "us-east-1", "20260115T1100Z", "aaaa"), new byte[1234]);
        File.SetLastWriteTimeUtc(plain, new DateTime(2026, 1, 15, 11, 2, 3, 456, DateTimeKind.Utc).AddTicks(7));
        var target = Path.Combine(Path.GetTempPath(), "walker-target-" + Guid.NewGuid().ToString("N") + ".json.gz");
        File.WriteAllBytes(target, new byte[4321]);
        try
        {
            var link = Path.Combine(Path.GetDirectoryName(plain)!, Path.GetFileName(plain).Replace("aaaa", "bbbb", StringComparison.Ordinal));
            File.CreateSymbolicLink(link, target);

            var files = LocalArchiveWalker.Walk([_trail.Root]).Files.ToList();

            Assert.Equal(2, files.Count);
            foreach (var file in files)
            {
                var info = new FileInfo(file.Path);
                Assert.Equal(info.Length, file.Length);
                Assert.Equal(info.LastWriteTimeUtc.Ticks, file.LastWriteUtc.Ticks);
                Assert.Equal(DateTimeKind.Utc, file.LastWriteUtc.Kind);
            }

            Assert.Equal(1234L, files[0].Length);
        }
        finally
        {
            File.Delete(target);
        }
    }

    [Fact]
    public void Missing_inputs_are_listed_and_a_named_file_is_read_whatever_its_name()
    {
        var named = _trail.AddFile("exports/kms.txt", "{}"u8.ToArray());

        var walk = LocalArchiveWalker.Walk([named, Path.Combine(_trail.Root, "nope")]);

        Assert.Equal([Path.Combine(_trail.Root, "nope")], walk.Missing);
        var file = Assert.Single(walk.Files);
        Assert.True(file.NamedAsLog);
        Assert.Equal(2, file.Length);
    }
}
