using System.Globalization;
using System.Text.RegularExpressions;

namespace Pipeline.Cli.Commands;

/// <summary><c>--set name=value</c> of the query command as a DuckDB <c>SET VARIABLE</c> statement.</summary>
internal static partial class QueryVariables
{
    public static bool TryFormat(string assignment, out string statement, out string problem)
    {
        statement = string.Empty;
        problem = string.Empty;
        var equals = assignment.IndexOf('=', StringComparison.Ordinal);
        var name = equals < 0 ? assignment : assignment[..equals];
        if (equals < 0 || !Name().IsMatch(name))
        {
            problem = "expected name=value, the name made of letters, digits and '_' (e.g. start_date=2026-01-01)";
            return false;
        }

        var value = assignment[(equals + 1)..];
        var literal = DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) ? $"DATE '{value}'"
            : long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number.ToString(CultureInfo.InvariantCulture)
            : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
        statement = $"SET VARIABLE {name} = {literal}";
        return true;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Name();
}
