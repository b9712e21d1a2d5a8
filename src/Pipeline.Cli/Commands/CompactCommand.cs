using System.CommandLine;
using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using DuckDB.NET.Data;
using Pipeline.Query;
using Pipeline.Reporting;
using Pipeline.Sink;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline compact --data &lt;dir-or-s3://bucket/prefix&gt; (--date YYYY-MM-DD | --all) [--target-file-mb N] [--s3-force-path-style]</c>.</summary>
internal static class CompactCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Dataset directory (holds kms_events/), or the s3://bucket/prefix a worker writes to", Required = true };
        var pathStyle = new Option<bool>("--s3-force-path-style") { Description = "With an s3:// dataset: path-style S3 URLs (S3 emulators, some proxies)" };
        var date = new Option<string?>("--date") { Description = "Compact only this partition (YYYY-MM-DD)" };
        var all = new Option<bool>("--all") { Description = "Compact every partition" };
        var target = new Option<int>("--target-file-mb")
        {
            Description = "Approximate size of an output file in MB",
            DefaultValueFactory = _ => CompactorOptions.DefaultTargetFileMegabytes,
        };
        var command = new Command("compact", "Merge each partition's files into few sorted files without duplicate events.") { data, date, all, target, pathStyle };
        command.SetAction(async (ParseResult result, CancellationToken cancellationToken) =>
        {
            var output = result.InvocationConfiguration.Output;
            var error = result.InvocationConfiguration.Error;
            var dateText = result.GetValue(date);
            DateOnly? day = null;
            if ((dateText is null) == !result.GetValue(all))
            {
                await error.WriteLineAsync("error: give exactly one of --date YYYY-MM-DD or --all.").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            if (dateText is not null)
            {
                if (!DateOnly.TryParseExact(dateText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                {
                    await error.WriteLineAsync($"error: --date '{dateText}' is not a date in the form YYYY-MM-DD.").ConfigureAwait(false);
                    return ExitCodes.UsageError;
                }

                day = parsed;
            }

            var targetMb = result.GetValue(target);
            if (targetMb is < 1 or > 64 * 1024)
            {
                await error.WriteLineAsync($"error: --target-file-mb must be between 1 and 65536 (got {targetMb}).").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            var dataText = result.GetValue(data)!;
            var options = new CompactorOptions { TargetFileMegabytes = targetMb };
            if (dataText.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
            {
                return await CompactS3Async(dataText, day, options, result.GetValue(pathStyle), output, error, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                var root = Path.GetFullPath(dataText);
                if (!Directory.Exists(root))
                {
                    throw new DatasetNotFoundException(root);
                }

                var compactor = new Compactor(new LocalDatasetStore(root), options);
                foreach (var p in await compactor.CompactAsync(day, cancellationToken).ConfigureAwait(false))
                {
                    await output.WriteLineAsync(Describe(p)).ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }
            catch (DatasetNotFoundException e)
            {
                await error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }
            catch (Exception e) when (e is DuckDBException or IOException or InvalidDataException)
            {
                await error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    /// <summary>
    /// The workers' dataset on S3: each partition is downloaded to a work folder, merged and uploaded, then its inputs
    /// are deleted (needs s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on the prefix).
    /// </summary>
    private static async Task<int> CompactS3Async(string dataText, DateOnly? day, CompactorOptions options, bool pathStyle, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!OutputLocation.TryParse(dataText, out var location, out var problem))
        {
            await error.WriteLineAsync($"error: --data {dataText}: {problem}").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }

        var work = Path.Combine(Path.GetTempPath(), "pipeline-compact-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var s3 = new AmazonS3Client(new AmazonS3Config { ForcePathStyle = pathStyle });
            var store = new S3DatasetStore(s3, location.Bucket!, location.Prefix, Path.Combine(work, "staging"));
            if ((await store.ListDirectoriesAsync(DatasetLayout.TableDirectory, cancellationToken).ConfigureAwait(false)).Count == 0)
            {
                await error.WriteLineAsync(S3DatasetOptions.NoDataset(dataText, location)).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            var compactor = new Compactor(store, Path.Combine(work, "merge"), options);
            foreach (var p in await compactor.CompactAsync(day, cancellationToken).ConfigureAwait(false))
            {
                await output.WriteLineAsync(Describe(p)).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }
        catch (AmazonServiceException e)
        {
            await error.WriteLineAsync($"error: compacting {location}: {e.ErrorCode} {e.Message} (this needs s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on it)").ConfigureAwait(false);
            return e.ErrorCode == "NoSuchBucket" ? ExitCodes.UsageError : ExitCodes.Failure;
        }
        catch (Exception e) when (e is DuckDBException or IOException or InvalidDataException or AmazonClientException)
        {
            await error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private static string Describe(PartitionCompaction p) => string.Create(
        CultureInfo.InvariantCulture,
        $"event_date={p.EventDate:yyyy-MM-dd}: {(p.Skipped ? "skipped, " : string.Empty)}files {p.FilesBefore} -> {p.FilesAfter}, rows {p.RowsBefore} -> {p.RowsAfter} ({Counted.Of(p.DuplicatesRemoved, "duplicate")} removed)");
}
