namespace Pipeline.Cli.Commands;

/// <summary>The SQL files of <c>queries/</c>, embedded in the executable.</summary>
internal static class BundledQueries
{
    public static string Read(string fileName)
    {
        using var stream = typeof(BundledQueries).Assembly.GetManifestResourceStream("queries/" + fileName)
            ?? throw new FileNotFoundException($"The bundled query '{fileName}' is missing from this build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Wraps a query file's final SELECT so at most <paramref name="rows"/> rows are shown.</summary>
    public static string Top(string sql, int rows) => $"SELECT * FROM (\n{sql.Trim().TrimEnd(';')}\n) LIMIT {rows}";
}
