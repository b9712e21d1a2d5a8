using System.Text.Json;
using System.Text.Unicode;
using Pipeline.Sink;

namespace Pipeline.Parsing;

/// <summary>
/// Keeps the KMS records of one object as <c>kms_events</c> rows. Records that cannot be KMS are rejected on their
/// raw bytes: a record without the text <c>kms.amazonaws.com</c> and without any escape sequence cannot have that
/// <c>eventSource</c>. Only the rest are parsed, and the parse, not the text search, decides.
/// </summary>
internal sealed class KmsRecordCollector : IRecordHandler
{
    private readonly SourceContext _source;
    private readonly ReaderOptions _options;
    private readonly Func<KmsEventBatch, CancellationToken, ValueTask>? _spill;
    private readonly long _spillBytes;
    private KmsRecordFields _fields;

    // One parser and one projector per thread, shared by every object read on it: their buffers hold the state of one
    // record only (nothing outlives an OnRecord call), and a pair per object was ~6 KB of garbage per log file, when
    // most files of a real trail (one per account, region and 5 minutes) hold a few dozen records.
    [ThreadStatic]
    private static KmsRecordParser? t_parser;

    [ThreadStatic]
    private static KmsRowProjector? t_projector;

    /// <param name="source">The object being read.</param>
    /// <param name="options">Reader limits.</param>
    /// <param name="spill">Called with the batch when it passes <paramref name="spillBytes"/>; it must have written the rows when it returns, since the batch is then cleared and refilled. Null keeps everything.</param>
    /// <param name="spillBytes">Batch size that triggers <paramref name="spill"/>.</param>
    public KmsRecordCollector(SourceContext source, ReaderOptions? options = null, Func<KmsEventBatch, CancellationToken, ValueTask>? spill = null, long spillBytes = long.MaxValue)
    {
        _source = source;
        _options = options ?? ReaderOptions.Default;
        _spill = spill;
        _spillBytes = spillBytes;
    }

    /// <summary>Rows not yet handed to the spill callback.</summary>
    public KmsEventBatch Batch { get; private set; } = KmsEventBatchPool.Rent();

    /// <summary>KMS records kept so far (including spilled ones).</summary>
    public long KmsRecords { get; private set; }

    /// <summary>KMS records without an eventID, stored with an id derived from their bytes.</summary>
    public long DerivedEventIds { get; private set; }

    /// <summary>Records that were parsed because their bytes could be KMS.</summary>
    public long CandidatesParsed { get; private set; }

    /// <summary>Where in the record the reader failed: its line (counted from the record's first byte) and byte in that line.</summary>
    private static long OffsetInRecord(ReadOnlySpan<byte> record, JsonException ex)
    {
        var lineStart = 0;
        for (var line = 0L; line < (ex.LineNumber ?? 0); line++)
        {
            var next = record[lineStart..].IndexOf((byte)'\n');
            if (next < 0)
            {
                break;
            }

            lineStart += next + 1;
        }

        return Math.Min(record.Length, lineStart + (ex.BytePositionInLine ?? 0));
    }

    /// <summary>The reader's message without its position (the exception gives the byte offset) or its advice about reader options.</summary>
    public void OnRecord(ReadOnlySpan<byte> record, long recordIndex, long byteOffset, bool hasBackslash)
    {
        // A record is parsed when it names KMS in plain text, or could in escapes: the only JSON escape that can spell a
        // letter or a dot of kms.amazonaws.com is \uXXXX (\" and \\ in a value, common in request parameters, cannot).
        if (record.IndexOf("kms.amazonaws.com"u8) < 0 && !(hasBackslash && record.IndexOf("\\u"u8) >= 0))
        {
            return;
        }

        CandidatesParsed++;
        var parser = t_parser ??= new KmsRecordParser();
        try
        {
            parser.Parse(record, ref _fields, _options.MaxDepth);
        }
        catch (JsonException ex) when (ex.Message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            throw new CloudTrailFormatException(_source.Display, byteOffset + OffsetInRecord(record, ex), recordIndex, $"the record is nested deeper than Reader:MaxDepth ({_options.MaxDepth}); raise it if the file is genuine", ex);
        }
        catch (JsonException ex)
        {
            throw new CloudTrailFormatException(_source.Display, byteOffset + OffsetInRecord(record, ex), recordIndex, $"invalid JSON: {CloudTrailFormatException.JsonProblem(ex)}", ex);
        }

        if (!parser.Get(record, _fields.EventSource).SequenceEqual("kms.amazonaws.com"u8))
        {
            return;
        }

        if (!Utf8.IsValid(record))
        {
            throw new CloudTrailFormatException(_source.Display, byteOffset, recordIndex, "KMS record contains invalid UTF-8");
        }

        if (parser.TypeError is { } typeError)
        {
            throw new CloudTrailFormatException(_source.Display, byteOffset, recordIndex, typeError);
        }

        if ((t_projector ??= new KmsRowProjector()).Project(record, parser, ref _fields, Batch, _source, recordIndex, byteOffset, recordIsValidUtf8: true))
        {
            DerivedEventIds++;
        }

        KmsRecords++;
    }

    public async ValueTask OnBufferProcessedAsync(CancellationToken cancellationToken)
    {
        if (_spill is not null && Batch.Count > 0 && Batch.EstimatedBytes >= _spillBytes)
        {
            // The spill has written the rows when it returns, so the same batch (and its large arrays) is refilled.
            await _spill(Batch, cancellationToken).ConfigureAwait(false);
            Batch.Clear();
        }
    }
}
