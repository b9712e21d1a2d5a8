using System.Text;

namespace Pipeline.Query;

/// <summary>
/// Splits SQL text into statements at top-level semicolons, skipping those inside quotes, comments and
/// dollar-quoted strings, so a .sql file can hold several statements.
/// </summary>
internal static class SqlScript
{
    public static IReadOnlyList<string> Split(string sql)
    {
        var statements = new List<string>();
        var current = new StringBuilder();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            var end = c switch
            {
                '\'' or '"' => SkipQuoted(sql, i, c),
                '-' when Next(sql, i) == '-' => SkipTo(sql, i, "\n"),
                '/' when Next(sql, i) == '*' => SkipTo(sql, i + 2, "*/"),
                '$' => SkipDollarQuoted(sql, i),
                _ => i + 1,
            };

            if (c == ';')
            {
                Add(statements, current);
            }
            else
            {
                current.Append(sql, i, end - i);
            }

            i = end;
        }

        Add(statements, current);
        return statements;
    }

    /// <summary>True when the statement returns rows worth printing (a query rather than DDL or SET).</summary>
    public static bool IsQuery(string statement)
    {
        var text = StripLeadingComments(statement);
        string[] keywords = ["SELECT", "WITH", "FROM", "VALUES", "TABLE", "DESCRIBE", "SHOW", "EXPLAIN", "SUMMARIZE", "PIVOT", "UNPIVOT", "("];
        return keywords.Any(k => text.StartsWith(k, StringComparison.OrdinalIgnoreCase));
    }

    private static string StripLeadingComments(string statement)
    {
        var text = statement.TrimStart();
        while (true)
        {
            if (text.StartsWith("--", StringComparison.Ordinal))
            {
                var newline = text.IndexOf('\n', StringComparison.Ordinal);
                text = newline < 0 ? string.Empty : text[(newline + 1)..].TrimStart();
            }
            else if (text.StartsWith("/*", StringComparison.Ordinal))
            {
                var close = text.IndexOf("*/", 2, StringComparison.Ordinal);
                text = close < 0 ? string.Empty : text[(close + 2)..].TrimStart();
            }
            else
            {
                return text;
            }
        }
    }

    private static void Add(List<string> statements, StringBuilder current)
    {
        var statement = current.ToString().Trim();
        if (StripLeadingComments(statement).Length > 0)
        {
            statements.Add(statement);
        }

        current.Clear();
    }

    private static char Next(string sql, int i) => i + 1 < sql.Length ? sql[i + 1] : '\0';

    private static int SkipQuoted(string sql, int start, char quote)
    {
        var i = start + 1;
        while (i < sql.Length)
        {
            if (sql[i] == quote)
            {
                // A doubled quote is an escaped quote inside the literal.
                if (Next(sql, i) != quote)
                {
                    return i + 1;
                }

                i++;
            }

            i++;
        }

        return sql.Length;
    }

    private static int SkipTo(string sql, int start, string terminator)
    {
        var end = sql.IndexOf(terminator, start, StringComparison.Ordinal);
        return end < 0 ? sql.Length : end + terminator.Length;
    }

    private static int SkipDollarQuoted(string sql, int start)
    {
        // $tag$ ... $tag$ with an optional identifier tag; a lone '$' (e.g. a $1 parameter) is ordinary text.
        var close = sql.IndexOf('$', start + 1);
        if (close < 0 || sql.AsSpan(start + 1, close - start - 1).ContainsAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"))
        {
            return start + 1;
        }

        var tag = sql[start..(close + 1)];
        return SkipTo(sql, close + 1, tag);
    }
}
