using System.CommandLine;
using DuckDB.NET.Data;
using Pipeline.Query;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline query &lt;sql-file-or-text&gt; --data &lt;dir&gt; [--format table|csv|json]</c>.</summary>
internal static class QueryCommand
{
    public static Command Create()
    {
        var sql = new Argument<string>("sql") { Description = "A .sql file (several statements separated by ';' allowed) or SQL text" };
        var data = new Option<string>("--data") { Description = "Dataset directory (holds kms_events/), or the s3://bucket/prefix a worker writes (the last --days are copied to --cache first)", Required = true };
        var days = new Option<int>("--days") { Description = "With an s3:// dataset: how many days back from today (UTC) to copy and query", DefaultValueFactory = _ => 90 };
        var s3 = new S3DatasetOptions();
        var format = new Option<QueryOutputFormat>("--format") { Description = "Output format", HelpName = "table|csv|json", DefaultValueFactory = _ => QueryOutputFormat.Table };
        var set = new Option<string[]>("--set")
        {
            Description = "Set a DuckDB variable the SQL reads with getvariable(), as name=value (repeatable): a YYYY-MM-DD value is a DATE, an integer a number, anything else text; e.g. --set start_date=2026-01-01",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("query", "Run SQL against the dataset; views kms_events (one row per event), kms_actions (one row per action) and kms_events_all.") { sql, data, format, set, days, s3.Cache, s3.PathStyle, s3.MemoryLimit };
        command.SetAction(async (ParseResult result, CancellationToken cancellationToken) =>
        {
            var output = result.InvocationConfiguration.Output;
            var error = result.InvocationConfiguration.Error;
            var argument = result.GetValue(sql)!;
            string? file = File.Exists(argument) ? argument : null;
            if (file is null && argument.EndsWith(".sql", StringComparison.OrdinalIgnoreCase) && !argument.Contains(' ', StringComparison.Ordinal))
            {
                // Meant as a file (SQL text does not end in ".sql" without a space in it): say so, not a DuckDB syntax error.
                await error.WriteLineAsync($"error: the SQL file '{argument}' does not exist (the argument is read as a file when one exists, else as SQL text)").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            var (memoryLimit, memoryProblem) = s3.ReadMemoryLimit(result);
            if (memoryProblem is not null)
            {
                await error.WriteLineAsync(memoryProblem).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            try
            {
                var text = file is null ? argument : await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
                var variables = new List<string>();
                foreach (var assignment in result.GetValue(set) ?? [])
                {
                    if (!QueryVariables.TryFormat(assignment, out var statement, out var problem))
                    {
                        await error.WriteLineAsync($"error: --set {assignment}: {problem}").ConfigureAwait(false);
                        return ExitCodes.UsageError;
                    }

                    variables.Add(statement);
                }

                var today = DateOnly.FromDateTime(DateTime.UtcNow);
                // Progress goes to stderr: stdout is the result (CSV or JSON for a pipe).
                var (dataset, copyExit) = await s3.ResolveAsync(result, result.GetValue(data)!, today.AddDays(-Math.Max(0, result.GetValue(days))), today, error, error, cancellationToken).ConfigureAwait(false);
                if (dataset is null)
                {
                    return copyExit;
                }

                using var query = DatasetQuery.OpenWritten(dataset, memoryLimit);
                await QueryRunner.RunScriptAsync(query, text, output, result.GetValue(format), cancellationToken, variables).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            catch (DatasetNotFoundException e)
            {
                await error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }
            catch (Exception e) when (e is DuckDBException or ArgumentException or IOException or InvalidDataException)
            {
                // DuckDB's messages may quote the data (a value that does not convert): control characters are shown as
                // text, and only its own line breaks (the caret under the failing SQL) are kept.
                var message = string.Join('\n', e.Message.Split('\n').Select(line => Pipeline.Query.TerminalText.Escape(line.TrimEnd('\r'))));
                await error.WriteLineAsync("error: " + (file is null ? string.Empty : file + ": ") + message).ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        });
        return command;
    }
}
