using System.Globalization;

namespace Pipeline.Analysis;

/// <summary>Conversions of DuckDB result values (whatever CLR type the driver chose) to what the analysis uses.</summary>
internal static class Values
{
    public static long Long(object? v) => v is null ? 0 : Convert.ToInt64(v, CultureInfo.InvariantCulture);

    public static string? Str(object? v) => v?.ToString();

    public static DateOnly Date(object? v) => v switch
    {
        DateOnly d => d,
        DateTime t => DateOnly.FromDateTime(t),
        DateTimeOffset o => DateOnly.FromDateTime(o.UtcDateTime),
        _ => DateOnly.Parse(Convert.ToString(v, CultureInfo.InvariantCulture)!, CultureInfo.InvariantCulture),
    };

    public static DateTime? Utc(object? v) => v switch
    {
        null => null,
        DateTime t => t.Kind == DateTimeKind.Utc ? t : DateTime.SpecifyKind(t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t, DateTimeKind.Utc),
        DateTimeOffset o => o.UtcDateTime,
        _ => null,
    };

    public static IReadOnlyList<string> Strings(object? v) => v switch
    {
        null => [],
        System.Collections.IEnumerable e when v is not string => e.Cast<object?>().Where(x => x is not null).Select(x => x!.ToString()!).ToList(),
        _ => [v.ToString()!],
    };

    public static DateTime ToUtcDateTime(DateOnly d) => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
}
