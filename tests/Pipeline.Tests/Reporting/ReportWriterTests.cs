using Pipeline.Reporting;

namespace Pipeline.Tests.Reporting;

public sealed class ReportWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pipeline-tests", Guid.NewGuid().ToString("N"), "out");

    [Fact]
    public async Task The_writer_creates_the_three_files_and_leaves_no_temp_files()
    {
        var files = await ReportWriter.WriteAsync(ReportModelSamples.Realistic(), _dir, CancellationToken.None);

        Assert.Equal(Path.Combine(_dir, "report.json"), files.JsonPath);
        Assert.Equal(Path.Combine(_dir, "report.md"), files.MarkdownPath);
        Assert.Equal(Path.Combine(_dir, "report.html"), files.HtmlPath);
        Assert.Equal(["report.html", "report.json", "report.md"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.StartsWith("# KMS activity report", await File.ReadAllTextAsync(files.MarkdownPath), StringComparison.Ordinal);
        Assert.NotEqual(0xEF, (await File.ReadAllBytesAsync(files.HtmlPath))[0]);
    }

    [Fact]
    public async Task Writing_again_replaces_the_previous_report()
    {
        await ReportWriter.WriteAsync(ReportModelSamples.Realistic(), _dir, CancellationToken.None);

        var files = await ReportWriter.WriteAsync(ReportModelSamples.Empty(), _dir, CancellationToken.None);

        Assert.Contains("No findings for this day.", await File.ReadAllTextAsync(files.HtmlPath), StringComparison.Ordinal);
        Assert.Empty((await ReportJson.ReadAsync(files.JsonPath, CancellationToken.None)).Findings);
        Assert.Equal(3, Directory.GetFiles(_dir).Length);
    }

    [Fact]
    public async Task A_cancelled_write_leaves_no_partial_file()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReportWriter.WriteAsync(ReportModelSamples.Realistic(), _dir, cts.Token));

        Assert.Empty(Directory.GetFiles(_dir));
    }

    public void Dispose()
    {
        var root = Path.GetDirectoryName(_dir)!;
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
