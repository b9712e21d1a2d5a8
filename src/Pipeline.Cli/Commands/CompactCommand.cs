using System.CommandLine;
using System.Globalization;
using DuckDB.NET.Data;
using Pipeline.Query;
using Pipeline.Sink;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline compact --data &lt;dir&gt; (--date YYYY-MM-DD | --all) [--target-file-mb N]</c>.</summary>
internal static class CompactCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Dataset directory (holds kms_events/)", Required = true };
        var date = new Option<string?>("--date") { Description = "Compact only this partition (YYYY-MM-DD)" };
        var all = new Option<bool>("--all") { Description = "Compact every partition" };
        var target = new Option<int>("--target-file-mb")
        {
            Description = "Approximate size of an output file in MB",
            DefaultValueFactory = _ => CompactorOptions.DefaultTargetFileMegabytes,
        };
        var command = new Command("compact", "Merge each partition's files into few sorted files without duplicate events.") { data, date, all, target };
        command.SetAction(async (ParseResult result, CancellationToken cancellationToken) =>
        {
            var output = result.InvocationConfiguration.Output;
            var error = result.InvocationConfiguration.Error;
            var dateText = result.GetValue(date);
            DateOnly? day = null;
            if ((dateText is null) == !result.GetValue(all))
            {
                await error.WriteLineAsync("error: give exactly one of --date YYYY-MM-DD or --all.").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            if (dateText is not null)
            {
                if (!DateOnly.TryParseExact(dateText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                {
                    await error.WriteLineAsync($"error: --date '{dateText}' is not a date in the form YYYY-MM-DD.").ConfigureAwait(false);
                    return ExitCodes.Failure;
                }

                day = parsed;
            }

            var targetMb = result.GetValue(target);
            if (targetMb is < 1 or > 64 * 1024)
            {
                await error.WriteLineAsync($"error: --target-file-mb must be between 1 and 65536 (got {targetMb}).").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            try
            {
                var root = Path.GetFullPath(result.GetValue(data)!);
                if (!Directory.Exists(root))
                {
                    throw new DatasetNotFoundException(root);
                }

                var compactor = new Compactor(new LocalDatasetStore(root), new CompactorOptions { TargetFileMegabytes = targetMb });
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

    private static string Describe(PartitionCompaction p) => string.Create(
        CultureInfo.InvariantCulture,
        $"event_date={p.EventDate:yyyy-MM-dd}: {(p.Skipped ? "skipped, " : string.Empty)}files {p.FilesBefore} -> {p.FilesAfter}, rows {p.RowsBefore} -> {p.RowsAfter} ({p.DuplicatesRemoved} duplicates removed)");
}
