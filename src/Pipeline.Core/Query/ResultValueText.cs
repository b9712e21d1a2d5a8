using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Pipeline.Query;

/// <summary>Culture-invariant text of DuckDB values for the table and CSV renderings.</summary>
internal static class ResultValueText
{
    /// <summary>ISO-8601 with microseconds; TIMESTAMPTZ values arrive as UTC <see cref="DateTime"/>s.</summary>
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    /// <summary>
    /// The value of a result cell; a value .NET cannot hold (an infinite DATE or TIMESTAMP, a DECIMAL(38) past
    /// decimal's range, an INTERVAL with months as a TimeSpan) is an error that names the column and says what to do,
    /// not a crash.
    /// </summary>
    public static object? Read(System.Data.Common.DbDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        try
        {
            return reader.GetValue(ordinal);
        }
        catch (Exception e) when (e is InvalidOperationException or OverflowException or ArgumentException or InvalidCastException)
        {
            throw new InvalidDataException(
                $"column '{reader.GetName(ordinal)}' ({reader.GetDataTypeName(ordinal)}) holds a value this tool cannot show as that type ({e.Message.Split(". ")[0].TrimEnd('.')}); cast it to VARCHAR in the query, e.g. {reader.GetName(ordinal)}::VARCHAR",
                e);
        }
    }

    public static string Format(object value) => value switch
    {
        string s => s,
        DateTime t => t.ToString(TimestampFormat, CultureInfo.InvariantCulture),
        DateTimeOffset t => t.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly t => t.ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        BigInteger i => i.ToString(CultureInfo.InvariantCulture),
        byte[] bytes => Convert.ToBase64String(bytes),
        IDictionary map => FormatMap(map),
        IEnumerable list => FormatList(list),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static string FormatList(IEnumerable list)
    {
        var sb = new StringBuilder("[");
        var first = true;
        foreach (var item in list)
        {
            sb.Append(first ? string.Empty : ", ").Append(item is null ? "NULL" : Format(item));
            first = false;
        }

        return sb.Append(']').ToString();
    }

    private static string FormatMap(IDictionary map)
    {
        var sb = new StringBuilder("{");
        var first = true;
        foreach (DictionaryEntry entry in map)
        {
            sb.Append(first ? string.Empty : ", ").Append(Format(entry.Key)).Append(": ").Append(entry.Value is null ? "NULL" : Format(entry.Value));
            first = false;
        }

        return sb.Append('}').ToString();
    }
}
