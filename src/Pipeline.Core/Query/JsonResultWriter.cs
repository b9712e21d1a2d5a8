using System.Buffers;
using System.Collections;
using System.Data.Common;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;

namespace Pipeline.Query;

/// <summary>
/// A JSON array of objects, one per row, written row by row. Numbers and booleans keep their JSON types,
/// timestamps are ISO-8601 UTC strings, dates <c>YYYY-MM-DD</c>, NULL is <c>null</c>.
/// </summary>
internal static class JsonResultWriter
{
    public static async Task<long> WriteAsync(DbDataReader reader, TextWriter output, CancellationToken cancellationToken)
    {
        var names = new string[reader.FieldCount];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = reader.GetName(i);
        }

        var buffer = new ArrayBufferWriter<byte>();
        using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false });
        long rows = 0;
        await output.WriteAsync('[').ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            json.WriteStartObject();
            for (var i = 0; i < names.Length; i++)
            {
                json.WritePropertyName(names[i]);
                WriteValue(json, ResultValueText.Read(reader, i));
            }

            json.WriteEndObject();
            json.Flush();
            await output.WriteAsync(rows == 0 ? "\n" : ",\n").ConfigureAwait(false);
            await output.WriteAsync(Encoding.UTF8.GetString(buffer.WrittenSpan)).ConfigureAwait(false);
            buffer.ResetWrittenCount();
            json.Reset(buffer);
            rows++;
        }

        await output.WriteAsync(rows == 0 ? "]\n" : "\n]\n").ConfigureAwait(false);
        return rows;
    }

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null or DBNull: json.WriteNullValue(); break;
            case string s: json.WriteStringValue(s); break;
            case bool b: json.WriteBooleanValue(b); break;
            case int or long or short or sbyte or byte or uint or ushort:
                json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong u: json.WriteNumberValue(u); break;
            case decimal m: json.WriteNumberValue(m); break;
            case double d when double.IsFinite(d): json.WriteNumberValue(d); break;
            case float f when float.IsFinite(f): json.WriteNumberValue(f); break;
            case BigInteger i: json.WriteRawValue(i.ToString(CultureInfo.InvariantCulture)); break;
            case Guid g: json.WriteStringValue(g.ToString()); break;
            case byte[] bytes: json.WriteBase64StringValue(bytes); break;
            case IDictionary map:
                json.WriteStartObject();
                foreach (DictionaryEntry entry in map)
                {
                    json.WritePropertyName(ResultValueText.Format(entry.Key));
                    WriteValue(json, entry.Value);
                }

                json.WriteEndObject();
                break;
            case IEnumerable list:
                json.WriteStartArray();
                foreach (var item in list)
                {
                    WriteValue(json, item);
                }

                json.WriteEndArray();
                break;
            default: json.WriteStringValue(ResultValueText.Format(value)); break;
        }
    }
}
