using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Pipeline.Reporting;

/// <summary>
/// Writes a finding's free-form details with non-finite numbers as <c>null</c>: a <see cref="JsonValue"/> made from a
/// double carries its own converter and ignores <see cref="FiniteDoubleConverter"/>, so NaN in details would otherwise
/// make the whole report fail to serialise.
/// </summary>
internal sealed class DetailsJsonConverter : JsonConverter<JsonObject>
{
    public override JsonObject? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonNode.Parse(ref reader) as JsonObject ?? throw new JsonException("details must be a JSON object");

    public override void Write(Utf8JsonWriter writer, JsonObject value, JsonSerializerOptions options) => WriteNode(writer, value, options);

    private static void WriteNode(Utf8JsonWriter writer, JsonNode? node, JsonSerializerOptions options)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (name, child) in obj)
                {
                    writer.WritePropertyName(name);
                    WriteNode(writer, child, options);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var child in array)
                {
                    WriteNode(writer, child, options);
                }

                writer.WriteEndArray();
                break;
            case JsonValue value when IsNonFinite(value):
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer, options);
                break;
        }
    }

    private static bool IsNonFinite(JsonValue value) =>
        (value.TryGetValue<double>(out var d) && !double.IsFinite(d)) || (value.TryGetValue<float>(out var f) && !float.IsFinite(f));
}
