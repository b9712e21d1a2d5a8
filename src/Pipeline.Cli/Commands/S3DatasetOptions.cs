using System.CommandLine;
using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Pipeline.Reporting;
using Pipeline.Sink;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>--cache</c> and <c>--s3-force-path-style</c> of the commands that read a dataset, and the copy of the days they
/// need from an <c>s3://</c> dataset (the worker's output) into the cache, where the embedded DuckDB reads them.
/// </summary>
internal sealed class S3DatasetOptions
{
    public Option<string?> Cache { get; } = new("--cache") { Description = "With an s3:// dataset: local folder for the copied days, kept between runs (default: <temp>/pipeline-cache/<bucket>/<prefix>)" };

    public Option<bool> PathStyle { get; } = new("--s3-force-path-style") { Description = "With an s3:// dataset: path-style S3 URLs (S3 emulators, some proxies)" };

    /// <summary>DuckDB's memory limit for the command's queries; not about S3, but read by the same commands.</summary>
    public Option<string?> MemoryLimit { get; } = new("--memory-limit") { Description = "Most memory DuckDB may use for its buffers, e.g. 2GB (default: DuckDB's, 80 % of the machine's memory; it spills to disk above it)" };

    /// <summary>The error for an <c>s3://</c> location with nothing under its <c>kms_events/</c> (a mistyped bucket or prefix).</summary>
    public static string NoDataset(string data, OutputLocation location) =>
        $"error: --data {data}: no dataset there (nothing under {location.ToString().TrimEnd('/')}/{DatasetLayout.TableDirectory}/); check the bucket and prefix: the worker writes the dataset under its Worker:Output";

    /// <summary>The <c>--memory-limit</c> value, or the usage error to print when it is not a size.</summary>
    public (string? Limit, string? Problem) ReadMemoryLimit(ParseResult r) =>
        r.GetValue(MemoryLimit) is not { } limit ? (null, null)
        : Query.DatasetQuery.IsMemoryLimit(limit) ? (limit, null)
        : (null, $"error: --memory-limit '{limit}' is not a size such as 512MB or 2GB");

    /// <summary>
    /// The local dataset folder to read: <paramref name="data"/> itself, or for an <c>s3://</c> location the cache after
    /// copying the days <paramref name="from"/>–<paramref name="to"/>. On failure the error is written and the local path is null.
    /// </summary>
    public async Task<(string? Local, int ExitCode)> ResolveAsync(ParseResult r, string data, DateOnly from, DateOnly to, TextWriter progress, TextWriter error, CancellationToken ct)
    {
        if (!data.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            return (data, ExitCodes.Success);
        }

        if (!OutputLocation.TryParse(data, out var location, out var problem))
        {
            await error.WriteLineAsync($"error: --data {data}: {problem}").ConfigureAwait(false);
            return (null, ExitCodes.UsageError);
        }

        var local = r.GetValue(Cache) ?? Path.Combine(Path.GetTempPath(), "pipeline-cache", location.Bucket!, location.Prefix.Trim('/').Replace('/', '_'));
        try
        {
            using var s3 = new AmazonS3Client(new AmazonS3Config { ForcePathStyle = r.GetValue(PathStyle) });
            var store = new S3DatasetStore(s3, location.Bucket!, location.Prefix);
            await progress.WriteLineAsync($"Copying {from:yyyy-MM-dd} – {to:yyyy-MM-dd} of {location} to {local}").ConfigureAwait(false);
            var copied = await S3DatasetMirror.SyncAsync(store, local, from, to, ct).ConfigureAwait(false);
            if (copied.FirstDay is null)
            {
                // A mistyped bucket or prefix reads as an empty dataset: a daily `report --fail-on high` would pass.
                await error.WriteLineAsync(NoDataset(data, location)).ConfigureAwait(false);
                return (null, ExitCodes.UsageError);
            }

            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {Counted.Of(copied.Partitions, "day")}: {Counted.Of(copied.Downloaded, "file")} downloaded ({copied.BytesDownloaded / 1048576.0:F1} MB), {copied.UpToDate} up to date, {copied.Removed} removed")).ConfigureAwait(false);
            if (copied.Partitions == 0)
            {
                await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  note: the dataset has {Reporting.Counted.Of(copied.AllPartitions, "day")} ({copied.FirstDay:yyyy-MM-dd} – {copied.LastDay:yyyy-MM-dd}), none of them in {from:yyyy-MM-dd} – {to:yyyy-MM-dd}")).ConfigureAwait(false);
            }

            return (local, ExitCodes.Success);
        }
        catch (AmazonServiceException ex)
        {
            await error.WriteLineAsync($"error: reading {location}: {ex.ErrorCode} {ex.Message} (this needs s3:ListBucket and s3:GetObject on it)").ConfigureAwait(false);
            return (null, ex.ErrorCode == "NoSuchBucket" ? ExitCodes.UsageError : ExitCodes.Failure);
        }
        catch (Exception ex) when (ex is AmazonClientException or HttpRequestException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: copying {location} to {local}: {ex.Message}").ConfigureAwait(false);
            return (null, ExitCodes.Failure);
        }
    }
}
