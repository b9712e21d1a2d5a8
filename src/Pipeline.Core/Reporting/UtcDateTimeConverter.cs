using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Reporting;

/// <summary>
/// Timestamps as ISO-8601 UTC with a <c>Z</c>, whatever their <see cref="DateTimeKind"/>: CloudTrail times are UTC, and
/// the default converter would write an Unspecified value without a zone, which readers then take as local time.
/// </summary>
internal sealed class UtcDateTimeConverter : JsonConverter<DateTime>
{
    // Trailing zero fractions are dropped (F, not f) so whole seconds read as 2026-11-27T10:15:00Z.
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString() ?? throw new JsonException("expected a timestamp string");
        return DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
    }

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
        writer.WriteStringValue(ToUtc(value).ToString(Format, CultureInfo.InvariantCulture));

    /// <summary>Unspecified is taken as UTC (that is what the pipeline produces), Local is converted.</summary>
    public static DateTime ToUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };
}
