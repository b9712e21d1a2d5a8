using Pipeline.Query;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.EndToEnd;

/// <summary>The README's first command: generate, ingest, statistics and report in one go, with no AWS.</summary>
public sealed class DemoCommandTests : IDisposable
{
    private readonly TempDataset _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Out => Path.Combine(_folder.Root, "demo");

    private long StoredRows()
    {
        using var q = DatasetQuery.Open(Path.Combine(Out, "data"));
        using var command = q.Connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM kms_events_all";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_demo_folder_that_cannot_be_written_is_a_usage_error_naming_it_before_anything_is_generated()
    {
        // Below a file, so that not even root may create it (the container's read-only /app gives the same IOException).
        var blocker = Path.Combine(_folder.Root, "a-file");
        await File.WriteAllTextAsync(blocker, "x");
        var target = Path.Combine(blocker, "demo");

        var (exit, output, error) = await CliRunner.RunAsync("demo", "--days", "8", "--out", target);

        Assert.Equal(2, exit);
        Assert.Contains($"cannot write the demo folder {target}", error, StringComparison.Ordinal);
        Assert.Contains("pass --out", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Generating", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_run_starts_from_a_clean_folder_instead_of_mixing_two_archives()
    {
        var (exit, output, error) = await CliRunner.RunAsync("demo", "--days", "8", "--out", Out);
        Assert.True(exit == 0, error + output);
        Assert.Contains(" findings; open ", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Out, "report", "report.html")));
        var first = StoredRows();
        Assert.True(first > 0);

        // What an earlier run on another day leaves behind: log files of days this run does not generate.
        var stale = Directory.GetFiles(Path.Combine(Out, "archive"), "*.json.gz", SearchOption.AllDirectories).First();
        var staleCopy = Path.Combine(Out, "archive", "AWSLogs", "o-stale00000", "111122223333", "CloudTrail", "us-east-1", "2020", "01", "01", Path.GetFileName(stale));
        Directory.CreateDirectory(Path.GetDirectoryName(staleCopy)!);
        File.Copy(stale, staleCopy);

        (exit, output, error) = await CliRunner.RunAsync("demo", "--days", "8", "--out", Out);

        Assert.True(exit == 0, error + output);
        Assert.Contains("Removing the previous demo run", output, StringComparison.Ordinal);
        Assert.False(File.Exists(staleCopy));
        Assert.Equal(first, StoredRows());
    }

    [Fact]
    public async Task A_folder_that_no_demo_wrote_is_left_alone()
    {
        var data = Directory.CreateDirectory(Path.Combine(Out, "data")).FullName;
        await File.WriteAllTextAsync(Path.Combine(data, "keep.txt"), "analyst's own files");

        var (exit, _, error) = await CliRunner.RunAsync("demo", "--days", "8", "--out", Out);

        Assert.Equal(2, exit);
        Assert.Contains("no earlier demo wrote", error, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(data, "keep.txt")));
    }
}
