using System.Buffers;
using System.Text.Json;

namespace Pipeline.Benchmarks.Support;

/// <summary>What <see cref="PlainTokenizer"/> saw in one document.</summary>
public readonly record struct TokenCount(long Records, long KmsRecords, long Tokens, long Bytes)
{
    public static TokenCount operator +(TokenCount a, TokenCount b) =>
        new(a.Records + b.Records, a.KmsRecords + b.KmsRecords, a.Tokens + b.Tokens, a.Bytes + b.Bytes);
}

/// <summary>
/// The baseline "plain tokenizer": a streaming <see cref="Utf8JsonReader"/> that visits every token of a
/// <c>{"Records":[...]}</c> document and counts records whose top-level <c>eventSource</c> is
/// <c>kms.amazonaws.com</c> (compared after unescaping, as the real parser decides). No structural pre-scan, no
/// projection: what the simplest correct reader costs. One instance per thread; its buffer is reused.
/// </summary>
public sealed class PlainTokenizer
{
    private const int RecordDepth = 2;   // {"Records":[ {record} ]}: root 0, array 1, record 2
    private const int FieldDepth = 3;    // property names directly inside a record
    private byte[] _buffer = new byte[1 << 20];

    public TokenCount Count(Stream json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var state = default(JsonReaderState);
        var scan = default(ScanState);
        var length = 0;
        long bytes = 0;
        while (true)
        {
            var n = json.Read(_buffer, length, _buffer.Length - length);
            var final = n == 0;
            length += n;
            bytes += n;
            var consumed = Scan(_buffer.AsSpan(0, length), final, ref state, ref scan);
            if (final)
            {
                if (consumed != length || scan.Depth != 0)
                {
                    throw new JsonException("truncated JSON document");
                }

                return new TokenCount(scan.Records, scan.Kms, scan.Tokens, bytes);
            }

            var left = length - consumed;
            if (left == _buffer.Length)
            {
                // One token larger than the buffer: grow (rare; a very long string).
                var bigger = new byte[_buffer.Length * 2];
                Buffer.BlockCopy(_buffer, 0, bigger, 0, left);
                _buffer = bigger;
            }
            else if (left > 0)
            {
                Buffer.BlockCopy(_buffer, consumed, _buffer, 0, left);
            }

            length = left;
        }
    }

    private static int Scan(ReadOnlySpan<byte> data, bool final, ref JsonReaderState state, ref ScanState s)
    {
        var reader = new Utf8JsonReader(data, final, state);
        while (reader.Read())
        {
            s.Tokens++;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    if (reader.CurrentDepth == RecordDepth)
                    {
                        s.Records++;
                    }

                    s.Depth++;
                    break;
                case JsonTokenType.StartArray:
                    s.Depth++;
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    s.Depth--;
                    break;
                case JsonTokenType.PropertyName:
                    s.NextIsEventSource = reader.CurrentDepth == FieldDepth && reader.ValueTextEquals("eventSource"u8);
                    continue;
                case JsonTokenType.String:
                    if (s.NextIsEventSource && reader.ValueTextEquals("kms.amazonaws.com"u8))
                    {
                        s.Kms++;
                    }

                    break;
            }

            s.NextIsEventSource = false;
        }

        state = reader.CurrentState;
        return checked((int)reader.BytesConsumed);
    }

    private struct ScanState
    {
        public long Records;
        public long Kms;
        public long Tokens;
        public int Depth;
        public bool NextIsEventSource;
    }
}
