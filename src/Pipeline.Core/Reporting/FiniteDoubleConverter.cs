using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Reporting;

/// <summary>
/// Writes NaN and ±Infinity as <c>null</c>: a z-score over a zero-variance baseline can be infinite, and JSON has no
/// literal for it (System.Text.Json would throw, or emit a non-standard token other tools reject). Reads null back as NaN
/// so a non-nullable field survives the round trip.
/// </summary>
internal sealed class FiniteDoubleConverter : JsonConverter<double>
{
    public override bool HandleNull => true;

    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
