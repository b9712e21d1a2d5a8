using System.Data.Common;
using System.Globalization;

namespace Pipeline.Query;

/// <summary>
/// Aligned text table for humans. Rows are buffered to size the columns, so this is for interactive result sizes;
/// use CSV or JSON for bulk export. Long cells are cut at <see cref="MaxCellChars"/>.
/// </summary>
internal static class TableResultWriter
{
    public const int MaxCellChars = 200;

    public static async Task<long> WriteAsync(DbDataReader reader, TextWriter output, CancellationToken cancellationToken)
    {
        var columns = reader.FieldCount;
        var header = new string[columns];
        var widths = new int[columns];
        var numeric = new bool[columns];
        for (var i = 0; i < columns; i++)
        {
            header[i] = Cell(reader.GetName(i));
            widths[i] = header[i].Length;
            numeric[i] = IsNumeric(reader.GetFieldType(i));
        }

        var rows = new List<string[]>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = new string[columns];
            for (var i = 0; i < columns; i++)
            {
                row[i] = ResultValueText.Read(reader, i) is { } value ? Cell(ResultValueText.Format(value)) : "NULL";
                widths[i] = Math.Max(widths[i], row[i].Length);
            }

            rows.Add(row);
        }

        if (columns > 0)
        {
            await WriteLineAsync(output, header, widths, numeric: new bool[columns]).ConfigureAwait(false);
            await output.WriteLineAsync(string.Join("-+-", widths.Select(w => new string('-', w)))).ConfigureAwait(false);
            foreach (var row in rows)
            {
                await WriteLineAsync(output, row, widths, numeric).ConfigureAwait(false);
            }
        }

        await output.WriteLineAsync(rows.Count == 1 ? "(1 row)" : "(" + rows.Count.ToString(CultureInfo.InvariantCulture) + " rows)").ConfigureAwait(false);
        return rows.Count;
    }

    private static Task WriteLineAsync(TextWriter output, string[] cells, int[] widths, bool[] numeric)
    {
        var parts = new string[cells.Length];
        for (var i = 0; i < cells.Length; i++)
        {
            parts[i] = numeric[i] ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]);
        }

        return output.WriteLineAsync(string.Join(" | ", parts).TrimEnd());
    }

    private static string Cell(string text)
    {
        var escaped = TerminalText.Escape(text);
        return escaped.Length <= MaxCellChars ? escaped : string.Concat(escaped.AsSpan(0, MaxCellChars - 1), "…");
    }

    private static bool IsNumeric(Type type) =>
        type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(sbyte) || type == typeof(byte)
        || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(double) || type == typeof(float)
        || type == typeof(decimal) || type == typeof(System.Numerics.BigInteger);
}
