using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipeline.Reporting;

/// <summary>
/// Turns a finding's nested details into <c>path: value</c> lines (<c>policy.statements[0].effect</c>), so both renderers
/// show them without knowing each finding kind's shape. The text is still untrusted: callers escape it.
/// </summary>
internal static class DetailsFlattener
{
    public static IReadOnlyList<KeyValuePair<string, string>> Flatten(JsonObject? details)
    {
        var lines = new List<KeyValuePair<string, string>>();
        if (details is not null)
        {
            foreach (var (name, child) in details)
            {
                Walk(name, child, lines);
            }
        }

        return lines;
    }

    private static void Walk(string path, JsonNode? node, List<KeyValuePair<string, string>> lines)
    {
        switch (node)
        {
            case null:
                break; // an absent value (a user's session name) says nothing; the JSON report keeps it
            case JsonObject obj when obj.Count > 0:
                foreach (var (name, child) in obj)
                {
                    Walk(path + "." + name, child, lines);
                }

                break;
            case JsonArray array when array.Count > 0:
                for (var i = 0; i < array.Count; i++)
                {
                    Walk(path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", array[i], lines);
                }

                break;
            default:
                lines.Add(new(path, Scalar(node)));
                break;
        }
    }

    private static string Scalar(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.ToJsonString().Trim('"'), // e.g. a DateTime value
        JsonValue v when v.TryGetValue<double>(out var d) && !double.IsFinite(d) => "null",
        // Numbers and booleans as JSON writes them: invariant, no culture-dependent separators.
        _ => node.ToJsonString(),
    };
}
