using System.Text;

namespace Pipeline.Reporting;

/// <summary>
/// Writes report.json, report.md and report.html. Each goes to a temp file in the same folder and is then renamed over
/// the target, so a reader (a dashboard, a mail step) never sees a half-written report, only the old one or the new one.
/// </summary>
internal static class ReportWriter
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public static async Task<ReportFiles> WriteAsync(ReportModel model, string outputDirectory, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        Directory.CreateDirectory(outputDirectory);

        var json = Path.Combine(outputDirectory, ReportJson.FileName);
        var md = Path.Combine(outputDirectory, MarkdownReport.FileName);
        var html = Path.Combine(outputDirectory, HtmlReport.FileName);

        await WriteAtomicallyAsync(json, (s, token) => ReportJson.SerializeAsync(s, model, token), ct).ConfigureAwait(false);
        await WriteTextAtomicallyAsync(md, MarkdownReport.Render(model), ct).ConfigureAwait(false);
        await WriteTextAtomicallyAsync(html, HtmlReport.Render(model), ct).ConfigureAwait(false);
        return new ReportFiles(Path.GetFullPath(json), Path.GetFullPath(md), Path.GetFullPath(html));
    }

    private static Task WriteTextAtomicallyAsync(string path, string text, CancellationToken ct) =>
        WriteAtomicallyAsync(path, (s, token) => s.WriteAsync(Utf8NoBom.GetBytes(text), token).AsTask(), ct);

    private static async Task WriteAtomicallyAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        var temp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 65536, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, ct).ConfigureAwait(false);
                await stream.FlushAsync(ct).ConfigureAwait(false);
                // The rename must not land before the bytes do, or a crash could leave an empty report in place.
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover dot-file temp is harmless and named so it is never taken for a report.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
