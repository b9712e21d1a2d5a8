using System.Data.Common;

namespace Pipeline.Query;

/// <summary>RFC 4180 CSV: header line, CRLF line ends, fields quoted when they hold a comma, quote or line break; NULL is an empty field.</summary>
internal static class CsvResultWriter
{
    public static async Task<long> WriteAsync(DbDataReader reader, TextWriter output, CancellationToken cancellationToken)
    {
        var columns = reader.FieldCount;
        var fields = new string[columns];
        for (var i = 0; i < columns; i++)
        {
            fields[i] = Quote(reader.GetName(i));
        }

        await output.WriteAsync(string.Join(',', fields) + "\r\n").ConfigureAwait(false);
        long rows = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < columns; i++)
            {
                fields[i] = ResultValueText.Read(reader, i) is { } value ? Quote(ResultValueText.Format(value)) : string.Empty;
            }

            await output.WriteAsync(string.Join(',', fields) + "\r\n").ConfigureAwait(false);
            rows++;
        }

        return rows;
    }

    public static string Quote(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
