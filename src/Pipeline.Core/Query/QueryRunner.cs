namespace Pipeline.Query;

/// <summary>
/// Runs a SQL script against a <see cref="DatasetQuery"/>: every statement in order, streaming the result of the
/// last query statement (or of the last statement when none is a query) to the output. Only statements that read
/// run (<see cref="StatementGuard"/>): each is checked before anything runs, and again just before it runs when it
/// could not be prepared up front (it uses a view an earlier statement creates).
/// </summary>
internal static class QueryRunner
{
    /// <param name="setup">Statements of our own that run first, outside the script's numbering (the <c>--set</c> variables).</param>
    public static async Task<long> RunScriptAsync(
        DatasetQuery query, string sql, TextWriter output, QueryOutputFormat format, CancellationToken cancellationToken, IReadOnlyList<string>? setup = null)
    {
        var statements = SqlScript.Split(sql);
        if (statements.Count == 0)
        {
            throw new ArgumentException("The SQL text contains no statement.", nameof(sql));
        }

        var checkAgain = new bool[statements.Count];
        for (var i = 0; i < statements.Count; i++)
        {
            var verdict = StatementGuard.Check(query.Connection, statements[i]);
            if (verdict.RefusedAs is { } kind)
            {
                throw Refused(i, kind, ranBefore: false);
            }

            checkAgain[i] = !verdict.Prepared;
        }

        foreach (var statement in setup ?? [])
        {
            await query.ExecuteAsync(statement, cancellationToken).ConfigureAwait(false);
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
            if (checkAgain[i] && StatementGuard.Check(query.Connection, statements[i]).RefusedAs is { } kind)
            {
                throw Refused(i, kind, ranBefore: i > 0);
            }

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

    private static ArgumentException Refused(int index, string kind, bool ranBefore) =>
        new($"statement {index + 1} is {kind}: `pipeline query` only reads the dataset; " +
            (ranBefore ? "it did not run (the statements before it did, and they only read)" : "nothing was run") +
            ". To save a result, use --format csv or json and redirect the output.");
}
