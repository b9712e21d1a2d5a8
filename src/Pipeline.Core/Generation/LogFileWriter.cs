using System.IO.Compression;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Pipeline.Generation;

/// <summary>
/// Streams one log file: <c>{"Records":[...]}</c> on one line, through a hashing counter into gzip and the file.
/// Nothing but the JSON writer's small buffer is held in memory, so a single file may be gigabytes.
/// </summary>
internal sealed class LogFileWriter : IDisposable
{
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        // CloudTrail does not escape '+', '<', '&' etc.; the relaxed encoder keeps strings as AWS writes them.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private const int FlushThreshold = 64 * 1024;
    private readonly FileStream _file;
    private readonly GZipStream _gzip;
    private readonly HashingCountingStream _counter;
    private readonly Utf8JsonWriter _json;
    private long _oldest = long.MaxValue;
    private long _newest = long.MinValue;
    private bool _finished;

    public LogFileWriter(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        _gzip = new GZipStream(_file, CompressionLevel.Fastest, leaveOpen: true);
        _counter = new HashingCountingStream(_gzip, hash: true);
        _json = new Utf8JsonWriter(_counter, WriterOptions);
        _json.WriteStartObject();
        _json.WriteStartArray(JsonNames.Records);
    }

    public long UncompressedBytes => _counter.BytesWritten + _json.BytesPending;

    public void Write(RecordWriter records, in PlannedEvent e, int region)
    {
        records.Write(_json, e, region);
        _oldest = Math.Min(_oldest, e.Ticks);
        _newest = Math.Max(_newest, e.Ticks);
        if (_json.BytesPending > FlushThreshold)
        {
            _json.Flush();
        }
    }

    /// <summary>Closes the JSON and the gzip stream; returns (decompressed bytes, compressed bytes, SHA-256 of the JSON, oldest, newest).</summary>
    public (long Uncompressed, long Compressed, string Hash, DateTime Oldest, DateTime Newest) Finish()
    {
        _json.WriteEndArray();
        _json.WriteEndObject();
        _json.Dispose(); // flushes; must precede closing gzip, which writes the trailer
        _gzip.Dispose();
        _file.Flush();
        _finished = true;
        var oldest = _oldest == long.MaxValue ? default : new DateTime(_oldest, DateTimeKind.Utc);
        var newest = _newest == long.MinValue ? default : new DateTime(_newest, DateTimeKind.Utc);
        return (_counter.BytesWritten, _file.Length, _counter.HashHex(), oldest, newest);
    }

    public void Dispose()
    {
        if (!_finished)
        {
            _json.Dispose();
            _gzip.Dispose();
        }

        _counter.Dispose();
        _file.Dispose();
    }
}
