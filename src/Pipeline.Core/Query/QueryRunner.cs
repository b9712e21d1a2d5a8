namespace Pipeline.Query;

/// <summary>
/// Runs a SQL script against a <see cref="DatasetQuery"/>: every statement in order, streaming the result of the
/// last query statement (or of the last statement when none is a query) to the output.
/// </summary>
internal static class QueryRunner
{
    public static async Task<long> RunScriptAsync(DatasetQuery query, string sql, TextWriter output, QueryOutputFormat format, CancellationToken cancellationToken)
    {
        var statements = SqlScript.Split(sql);
        if (statements.Count == 0)
        {
            throw new ArgumentException("The SQL text contains no statement.", nameof(sql));
        }

        for (var i = 0; i < statements.Count; i++)
        {
            if (SqlScript.FileWritingKind(statements[i]) is { } kind)
            {
                throw new ArgumentException(
                    $"statement {i + 1} is {kind}: `pipeline query` only reads the dataset; nothing was run. " +
                    "To save a result, use --format csv or json and redirect the output.");
            }
        }

        var shown = statements.Count - 1;
        for (var i = statements.Count - 1; i >= 0; i--)
        {
            if (SqlScript.IsQuery(statements[i]))
            {
                shown = i;
                break;
            }
        }

        long rows = 0;
        for (var i = 0; i < statements.Count; i++)
        {
            if (i == shown)
            {
                rows = await query.WriteResultAsync(statements[i], output, format, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await query.ExecuteAsync(statements[i], cancellationToken).ConfigureAwait(false);
            }
        }

        return rows;
    }
}
