using System.Buffers;
using System.Text.Json;

namespace Pipeline.Parsing;

/// <summary>
/// Streams a CloudTrail log document (<c>{"Records":[...]}</c>, keys in any order) and hands each record to an
/// <see cref="IRecordHandler"/>. The output of CloudTrail's <c>LookupEvents</c> (<c>aws cloudtrail lookup-events</c>:
/// <c>{"Events":[{..., "CloudTrailEvent":"&lt;the record as a JSON string&gt;"}]}</c>, the account's event history
/// without a trail bucket) is read too: each event's record is unescaped and handed over like an element of
/// <c>Records[]</c>. So are records one after another (JSON Lines, e.g. <c>jq -c '.Records[]'</c> output or a raw
/// export), recognised by the first object's first key being a CloudTrail record field, and a bare array of records
/// (<c>jq '.Records'</c>) or of LookupEvents events (<c>--query Events</c>), recognised by its first element's first
/// key. Log documents one after another (files joined with <c>cat</c>) are read one after the other, and so are
/// EventBridge events (the record is <c>detail</c>) and CloudWatch Logs subscription batches (each
/// <c>logEvents[].message</c>), recognised by the first object's first key. Memory is one pooled buffer
/// that grows only to the largest single record, so a 1 GB object is read with the same memory as a 1 MB one. Asynchronous refills wrap a synchronous scan step, the
/// pattern System.Text.Json uses for streams.
/// </summary>
internal sealed class CloudTrailRecordReader
{
    private readonly ReaderOptions _options;
    private readonly string _source;
    private readonly IRecordHandler _handler;

    private Phase _phase = Phase.Start;
    private int _pos;          // next byte to look at, relative to the buffer
    private int _valueStart;   // first byte that must be kept (start of the record/key/value being scanned)
    private bool _inValue;
    private StructureScanState _scan;
    private bool _isRecordsKey;
    private bool _isEventsKey;
    private bool _sawRecords;
    private bool _lookupEvents; // the array being read is LookupEvents' Events[], not Records[]
    private bool _recordStream; // the document is records one after another (JSON Lines), not one object
    private Envelope _envelope; // the objects of the stream wrap records (EventBridge events, CloudWatch Logs batches)
    private long _logBatches;   // CloudWatch Logs batches read so far
    private bool _bareArray;    // the document is a bare array of records (jq '.Records') or of LookupEvents events
    private bool _atFirstKey;
    private int _documents;     // log documents that ended before the current one (cat of several log files)
    private byte[]? _unescaped;
    private long _recordIndex;
    private long _bufferBase;  // absolute decompressed offset of buffer[0]

    public CloudTrailRecordReader(string source, IRecordHandler handler, ReaderOptions? options = null)
    {
        _source = source;
        _handler = handler;
        _options = options ?? ReaderOptions.Default;
    }

    /// <summary>What the objects of a stream are when they are not records themselves.</summary>
    private enum Envelope
    {
        None,

        /// <summary>EventBridge events ("AWS API Call via CloudTrail", archived by Firehose): the record is <c>detail</c>.</summary>
        EventBridge,

        /// <summary>CloudWatch Logs subscription batches (Firehose): each of <c>logEvents[]</c> has a record as its <c>message</c> string.</summary>
        CloudWatchLogs,
    }

    private enum Phase
    {
        Start,
        KeyOrEnd,
        Colon,
        RecordsArray,
        RecordOrEnd,
        InRecord,
        AfterRecord,
        SkipValue,
        AfterValue,
        Closed,
    }

    /// <summary>Reads <paramref name="json"/> (already decompressed) to its end.</summary>
    public async ValueTask<ReadSummary> ReadAsync(Stream json, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_options.BufferBytes);
        var end = 0;
        long total = 0;
        try
        {
            while (true)
            {
                if (buffer.Length - end < buffer.Length / 4)
                {
                    buffer = MakeRoom(buffer, ref end);
                }

                var n = await json.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
                var eof = n == 0;
                end += n;
                total += n;
                if (total > _options.MaxDecompressedBytes)
                {
                    throw Error(total, $"decompressed size exceeds the limit of {_options.MaxDecompressedBytes} bytes (gzip bomb guard; raise MaxDecompressedBytes if the file is genuine)");
                }

                Process(buffer.AsSpan(0, end), eof);
                await _handler.OnBufferProcessedAsync(cancellationToken).ConfigureAwait(false);
                if (eof)
                {
                    Finish(_bufferBase + end);
                    return new ReadSummary(_recordIndex, total);
                }
            }
        }
        catch (InvalidDataException ex) when (GzipDecoder.IsTruncation(ex))
        {
            // The compressed data ended before its last gzip member did (StrictGzip): the file is cut short.
            throw Error(
                total,
                "the gzip stream is cut short (its last block or its CRC-32 and length trailer is missing): the file is incomplete, e.g. an interrupted copy, download or upload; fetch it again",
                ex);
        }
        catch (InvalidDataException ex) when (GzipDecoder.IsTrailingData(ex))
        {
            throw Error(
                total,
                "the gzip data continues after its last member with bytes that are neither another gzip member nor zero padding: a member whose header is damaged (its records would be lost) or other data appended to the file (gzip -d calls it trailing garbage); fetch the object again",
                ex);
        }
        catch (InvalidDataException ex)
        {
            // zlib reports a damaged block and a trailer whose CRC-32 or length does not match the content alike, and .NET
            // words both as "an unsupported compression method"; nothing of the failing block reaches the parser, so the
            // damage is at or after the offset given (for a small file, which inflates in one block, anywhere in it).
            throw Error(
                total,
                "the gzip data is corrupt (a damaged block, or a CRC-32 or length in the gzip trailer that does not match the content), detected at or after this offset; the object was damaged in storage or transfer: fetch it again",
                ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private CloudTrailFormatException TooLarge(long start, bool inRecord) =>
        Error(
            start,
            inRecord
                ? $"{RecordName} starts here and is larger than MaxRecordBytes ({_options.MaxRecordBytes} bytes); raise the limit if the file is genuine"
                : $"a single value is larger than MaxRecordBytes ({_options.MaxRecordBytes} bytes); raise the limit if the file is genuine",
            record: inRecord ? _recordIndex : null);


    private byte[] MakeRoom(byte[] buffer, ref int end)
    {
        var keep = _inValue ? _valueStart : _pos;
        if (keep > 0)
        {
            Buffer.BlockCopy(buffer, keep, buffer, 0, end - keep);
            end -= keep;
            _pos -= keep;
            _valueStart -= keep;
            _bufferBase += keep;
        }

        // After the move everything held is the record (or value) being read: the limit is on that, not on the buffer,
        // which keeps a quarter free for the next read and so may grow to a third more than the limit.
        var cap = (int)Math.Min(Array.MaxLength, ((long)_options.MaxRecordBytes * 4 / 3) + 1);
        if (end <= _options.MaxRecordBytes && buffer.Length - end >= buffer.Length / 4)
        {
            return buffer;
        }

        if (end > _options.MaxRecordBytes || buffer.Length >= cap)
        {
            // The buffer starts where the value being read starts (MakeRoom keeps from there).
            throw TooLarge(_bufferBase, _phase == Phase.InRecord);
        }

        var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, Math.Max(cap, buffer.Length)));
        Buffer.BlockCopy(buffer, 0, bigger, 0, end);
        ArrayPool<byte>.Shared.Return(buffer);
        return bigger;
    }

    private void Process(ReadOnlySpan<byte> data, bool eof)
    {
        while (true)
        {
            if (_pos >= data.Length)
            {
                return;
            }

            if (_phase != Phase.InRecord && _phase != Phase.SkipValue)
            {
                _pos = JsonStructure.SkipWhitespace(data, _pos);
                if (_pos >= data.Length)
                {
                    return;
                }
            }

            var b = data[_pos];
            switch (_phase)
            {
                case Phase.Start:
                    if (b == 0xEF && _bufferBase + _pos == 0)
                    {
                        if (data.Length < 3 && !eof)
                        {
                            return; // wait for the whole byte-order mark
                        }

                        if (data.Length >= 3 && data[1] == 0xBB && data[2] == 0xBF)
                        {
                            _pos = 3; // UTF-8 byte-order mark
                            continue;
                        }
                    }

                    if (b == (byte)'[')
                    {
                        // A bare array: records or LookupEvents events, told apart by the first element's first key.
                        _bareArray = true;
                        _sawRecords = true;
                        _pos++;
                        _phase = Phase.RecordOrEnd;
                        break;
                    }

                    if (b != (byte)'{')
                    {
                        throw NotALog(_bufferBase + _pos, $"expected a JSON object '{{' at the start of the document, found '{Printable(b)}'");
                    }

                    Hold(_pos); // until its first key says whether this object is the document or its first record
                    _atFirstKey = true;
                    _pos++;
                    _phase = Phase.KeyOrEnd;
                    break;

                case Phase.KeyOrEnd:
                    if (b == (byte)'}')
                    {
                        _pos++;
                        _phase = Phase.Closed;
                        break;
                    }

                    Expect(b, (byte)'"', "a property name");
                    var keyEnd = JsonStructure.FindStringEnd(data, _pos, out var escaped);
                    if (keyEnd < 0)
                    {
                        if (!_atFirstKey)
                        {
                            Hold(_pos);
                        }

                        return;
                    }

                    _isRecordsKey = JsonStructure.StringEquals(data[_pos..keyEnd], escaped, "Records"u8);
                    _isEventsKey = !_isRecordsKey && JsonStructure.StringEquals(data[_pos..keyEnd], escaped, "Events"u8);
                    var key = data[(_pos + 1)..(keyEnd - 1)];
                    if (_atFirstKey && !_isRecordsKey && !_isEventsKey && !escaped
                        && (IsRecordField(key) || IsLookupEventField(key) || EnvelopeOf(key) != Envelope.None))
                    {
                        // JSON Lines of records, of LookupEvents events (jq -c '.Events[]') or of envelopes around records:
                        // read this object again from its '{' as the first.
                        _envelope = EnvelopeOf(key);
                        _lookupEvents = IsLookupEventField(key);
                        _recordStream = true;
                        _sawRecords = true;
                        _atFirstKey = false;
                        _pos = _valueStart + 1;
                        _scan = new StructureScanState { Depth = 1 };
                        _phase = Phase.InRecord;
                        break;
                    }

                    _atFirstKey = false;
                    _inValue = false;
                    _pos = keyEnd;
                    _phase = Phase.Colon;
                    break;

                case Phase.Colon:
                    Expect(b, (byte)':', "':' after a property name");
                    _pos++;
                    _phase = _isRecordsKey || _isEventsKey ? Phase.RecordsArray : Phase.SkipValue;
                    if ((_isRecordsKey || _isEventsKey) && _sawRecords)
                    {
                        throw Error(_bufferBase + _pos, "the document has two 'Records' (or LookupEvents 'Events') properties");
                    }

                    _lookupEvents = _isEventsKey;

                    break;

                case Phase.RecordsArray:
                    if (b != (byte)'[')
                    {
                        throw Error(_bufferBase + _pos, $"'Records' is not an array (it starts with '{(char)b}')");
                    }

                    _sawRecords = true;
                    _pos++;
                    _phase = Phase.RecordOrEnd;
                    break;

                case Phase.RecordOrEnd:
                    if (b == (byte)']' && _recordIndex == 0)
                    {
                        _pos++;
                        _phase = _bareArray ? Phase.Closed : Phase.AfterValue;
                        break;
                    }

                    if (b != (byte)'{')
                    {
                        if (_bareArray && _recordIndex == 0)
                        {
                            throw NotALog(_bufferBase + _pos, $"a JSON array whose first element is not an object (it starts with '{Printable(b)}'): not CloudTrail records");
                        }

                        throw Error(_bufferBase + _pos, $"{RecordName} is not a JSON object (it starts with '{(char)b}')", record: _recordIndex);
                    }

                    Hold(_pos);
                    _scan = new StructureScanState { Depth = 1 };
                    _pos++;
                    _phase = Phase.InRecord;
                    break;

                case Phase.InRecord:
                    if (!JsonStructure.TryFindContainerEnd(data, ref _pos, ref _scan))
                    {
                        return;
                    }

                    if (_pos - _valueStart > _options.MaxRecordBytes)
                    {
                        // A record that fits in the buffer's spare room is measured here; a longer one fails in MakeRoom.
                        throw TooLarge(_bufferBase + _valueStart, inRecord: true);
                    }

                    if (_bareArray && _recordIndex == 0)
                    {
                        _lookupEvents = BareArrayHoldsLookupEvents(data[_valueStart.._pos]);
                    }

                    if (_envelope == Envelope.CloudWatchLogs)
                    {
                        OnLogBatch(data[_valueStart.._pos], _bufferBase + _valueStart); // counts its records itself
                    }
                    else
                    {
                        if (_lookupEvents)
                        {
                            OnLookupEvent(data[_valueStart.._pos], _bufferBase + _valueStart);
                        }
                        else if (_envelope == Envelope.EventBridge)
                        {
                            OnEventBridgeEvent(data[_valueStart.._pos], _bufferBase + _valueStart);
                        }
                        else
                        {
                            _handler.OnRecord(data[_valueStart.._pos], _recordIndex, _bufferBase + _valueStart, _scan.SawBackslash);
                        }

                        _recordIndex++;
                    }

                    _inValue = false;
                    _phase = Phase.AfterRecord;
                    break;

                case Phase.AfterRecord:
                    if (_recordStream)
                    {
                        if (b != (byte)'{')
                        {
                            throw Error(_bufferBase + _pos, $"expected the next record '{{' after record {_recordIndex - 1}, found '{Printable(b)}'");
                        }

                        Hold(_pos);
                        _scan = new StructureScanState { Depth = 1 };
                        _pos++;
                        _phase = Phase.InRecord;
                        break;
                    }

                    if (b == (byte)',')
                    {
                        _pos++;
                        _phase = Phase.RecordOrEnd;
                        break;
                    }

                    Expect(b, (byte)']', "',' or ']' after a record");
                    _pos++;
                    _phase = _bareArray ? Phase.Closed : Phase.AfterValue;
                    break;

                case Phase.SkipValue:
                    if (!SkipValue(data))
                    {
                        return;
                    }

                    _phase = Phase.AfterValue;
                    break;

                case Phase.AfterValue:
                    if (b == (byte)',')
                    {
                        _pos++;
                        _phase = Phase.KeyOrEnd;
                        break;
                    }

                    Expect(b, (byte)'}', "',' or '}' after a top-level value");
                    _pos++;
                    _phase = Phase.Closed;
                    break;

                case Phase.Closed:
                    if (_sawRecords && !_bareArray && b == (byte)'{')
                    {
                        // Another log document (files joined with cat, gzip members of several logs, two lookup pages).
                        _documents++;
                        _sawRecords = false;
                        _pos++;
                        _phase = Phase.KeyOrEnd;
                        break;
                    }

                    throw _sawRecords
                        ? Error(_bufferBase + _pos, $"unexpected data after the end of the JSON document ('{(char)b}')")
                        : NotALog(_bufferBase + _pos, $"a second JSON value ('{(char)b}') follows a first object that is neither a log document {{\"Records\":[...]}} nor a CloudTrail record: not CloudTrail data");
            }
        }
    }

    /// <summary>Hands over the record inside one element of LookupEvents' <c>Events[]</c> (its <c>CloudTrailEvent</c> string, unescaped).</summary>
    private void OnLookupEvent(ReadOnlySpan<byte> element, long offset)
    {
        var reader = EnvelopeReader(element);
        try
        {
            if (FindMember(ref reader, "CloudTrailEvent"u8, JsonTokenType.String))
            {
                var record = Unescape(ref reader);
                if (!IsOneObject(record))
                {
                    // Passed to the filter, text that is not a record would simply not be KMS, and a damaged event of any
                    // service would vanish without a word.
                    throw Error(offset, $"Events[{_recordIndex}] has a 'CloudTrailEvent' that is not one JSON object: the output was damaged or edited; export the events again", record: _recordIndex);
                }

                _handler.OnRecord(record, _recordIndex, offset, record.IndexOf((byte)'\\') >= 0);
                return;
            }
        }
        catch (JsonException e)
        {
            throw Error(offset, $"Events[{_recordIndex}] is not valid JSON: {CloudTrailFormatException.JsonProblem(e)}", e, _recordIndex);
        }

        throw Error(offset, $"Events[{_recordIndex}] has no 'CloudTrailEvent' string (expected LookupEvents output: each event's record as a JSON string)", record: _recordIndex);
    }

    /// <summary>Whether <paramref name="text"/> is one complete object, with nothing but whitespace around it.</summary>
    private static bool IsOneObject(ReadOnlySpan<byte> text)
    {
        var pos = JsonStructure.SkipWhitespace(text, 0);
        if (pos >= text.Length || text[pos] != (byte)'{')
        {
            return false;
        }

        pos++;
        var state = new StructureScanState { Depth = 1 };
        return JsonStructure.TryFindContainerEnd(text, ref pos, ref state) && JsonStructure.SkipWhitespace(text, pos) == text.Length;
    }

    // The first key of a LookupEvents event as the CLI writes it.
    private static bool IsLookupEventField(ReadOnlySpan<byte> key) => key.SequenceEqual("EventId"u8) || key.SequenceEqual("CloudTrailEvent"u8);

    // The first key of an EventBridge event or a CloudWatch Logs batch as AWS writes them (and as `jq -S` sorts them).
    private static Envelope EnvelopeOf(ReadOnlySpan<byte> key) =>
        key.SequenceEqual("version"u8) || key.SequenceEqual("detail-type"u8) || key.SequenceEqual("account"u8) ? Envelope.EventBridge
        : key.SequenceEqual("messageType"u8) || key.SequenceEqual("logEvents"u8) || key.SequenceEqual("owner"u8) ? Envelope.CloudWatchLogs
        : Envelope.None;

    /// <summary>Hands over the record an EventBridge event carries as its <c>detail</c> object (a slice, nothing copied).</summary>
    private void OnEventBridgeEvent(ReadOnlySpan<byte> element, long offset)
    {
        var reader = EnvelopeReader(element);
        try
        {
            if (FindMember(ref reader, "detail"u8, JsonTokenType.StartObject))
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                var record = element[start..(int)reader.BytesConsumed];
                _handler.OnRecord(record, _recordIndex, offset + start, record.IndexOf((byte)'\\') >= 0);
                return;
            }
        }
        catch (JsonException e)
        {
            throw Error(offset, $"event {_recordIndex} is not valid JSON: {CloudTrailFormatException.JsonProblem(e)}", e, _recordIndex);
        }

        throw _recordIndex == 0
            ? NotALog(offset, "the first object is neither a CloudTrail record nor an EventBridge event with a 'detail' object: not CloudTrail data")
            : Error(offset, $"EventBridge event {_recordIndex} has no 'detail' object", record: _recordIndex);
    }

    /// <summary>
    /// Hands over the records of one CloudWatch Logs subscription batch: each <c>logEvents[].message</c> that holds a JSON
    /// object, unescaped into a reused buffer. A control message (Firehose's health check) has text messages and none.
    /// </summary>
    private void OnLogBatch(ReadOnlySpan<byte> element, long offset)
    {
        var reader = EnvelopeReader(element);
        try
        {
            if (!FindMember(ref reader, "logEvents"u8, JsonTokenType.StartArray))
            {
                throw _logBatches == 0
                    ? NotALog(offset, "the first object is neither a CloudTrail record nor a CloudWatch Logs batch with 'logEvents': not CloudTrail data")
                    : Error(offset, $"CloudWatch Logs batch {_logBatches} has no 'logEvents' array");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isMessage = reader.ValueTextEquals("message"u8);
                    reader.Read();
                    if (!isMessage || reader.TokenType != JsonTokenType.String)
                    {
                        reader.Skip();
                        continue;
                    }

                    var at = offset + reader.TokenStartIndex;
                    var record = Unescape(ref reader);
                    var first = JsonStructure.SkipWhitespace(record, 0);
                    if (first < record.Length && record[first] == (byte)'{')
                    {
                        _handler.OnRecord(record, _recordIndex, at, record.IndexOf((byte)'\\') >= 0);
                        _recordIndex++;
                    }
                }
            }
        }
        catch (JsonException e)
        {
            throw Error(offset, $"CloudWatch Logs batch {_logBatches} is not valid JSON: {CloudTrailFormatException.JsonProblem(e)}", e, _recordIndex);
        }

        _logBatches++;
    }

    private Utf8JsonReader EnvelopeReader(ReadOnlySpan<byte> element) => new(element, new JsonReaderOptions { MaxDepth = _options.MaxDepth });

    /// <summary>Moves a reader at the start of an object to the value of its member <paramref name="name"/> if that value is a <paramref name="type"/>.</summary>
    private static bool FindMember(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, JsonTokenType type)
    {
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals(name))
            {
                reader.Skip();
                continue;
            }

            reader.Read();
            return reader.TokenType == type;
        }

        return false;
    }

    /// <summary>The string the reader is on, unescaped into a buffer reused from value to value (valid until the next call).</summary>
    private ReadOnlySpan<byte> Unescape(ref Utf8JsonReader reader)
    {
        if (_unescaped is null || _unescaped.Length < reader.ValueSpan.Length)
        {
            _unescaped = new byte[Math.Max(reader.ValueSpan.Length, 16 * 1024)]; // unescaped is never longer
        }

        return _unescaped.AsSpan(0, reader.CopyString(_unescaped));
    }

    private bool SkipValue(ReadOnlySpan<byte> data)
    {
        if (!_inValue)
        {
            _pos = JsonStructure.SkipWhitespace(data, _pos);
            if (_pos >= data.Length)
            {
                return false;
            }

            Hold(_pos);
            var first = data[_pos];
            if (first is (byte)'{' or (byte)'[')
            {
                _scan = new StructureScanState { Depth = 1 };
                _pos++;
            }
            else
            {
                _scan = default;
            }
        }

        var start = _valueStart;
        switch (data[start])
        {
            case (byte)'{':
            case (byte)'[':
                if (!JsonStructure.TryFindContainerEnd(data, ref _pos, ref _scan))
                {
                    return false;
                }

                break;
            case (byte)'"':
                var s = JsonStructure.FindStringEnd(data, start, out _);
                if (s < 0)
                {
                    return false;
                }

                _pos = s;
                break;
            default:
                var e = JsonStructure.FindScalarEnd(data, start);
                if (e < 0)
                {
                    return false;
                }

                _pos = e;
                break;
        }

        _inValue = false;
        return true;
    }

    /// <summary>
    /// Whether a bare array's first element is a LookupEvents event (first key <c>EventId</c>, as the CLI writes it, or
    /// <c>CloudTrailEvent</c>) rather than a record; anything else is not CloudTrail data.
    /// </summary>
    private bool BareArrayHoldsLookupEvents(ReadOnlySpan<byte> element)
    {
        var start = JsonStructure.SkipWhitespace(element, 1);
        if (start < element.Length && element[start] == (byte)'"')
        {
            var end = JsonStructure.FindStringEnd(element, start, out var escaped);
            if (end > start && !escaped)
            {
                var key = element[(start + 1)..(end - 1)];
                if (IsRecordField(key))
                {
                    return false;
                }

                if (IsLookupEventField(key))
                {
                    return true;
                }
            }
        }

        throw NotALog(_bufferBase + _valueStart, "a JSON array whose first element is neither a CloudTrail record nor a LookupEvents event: not CloudTrail data");
    }

    // The first key of a CloudTrail record as AWS writes it, and fields a reordered copy may start with.
    private static bool IsRecordField(ReadOnlySpan<byte> key) =>
        key.SequenceEqual("eventVersion"u8) || key.SequenceEqual("eventTime"u8) || key.SequenceEqual("eventSource"u8)
        || key.SequenceEqual("eventName"u8) || key.SequenceEqual("eventID"u8) || key.SequenceEqual("userIdentity"u8)
        || key.SequenceEqual("awsRegion"u8) || key.SequenceEqual("recipientAccountId"u8);

    private string RecordName => _bareArray ? $"element [{_recordIndex}]" : _recordStream ? $"record {_recordIndex}" : $"Records[{_recordIndex}]";

    private void Hold(int start)
    {
        _inValue = true;
        _valueStart = start;
    }

    private void Finish(long endOffset)
    {
        if (_phase == Phase.Start)
        {
            throw NotALog(endOffset, "the object is empty; expected a CloudTrail log document {\"Records\":[...]}");
        }

        if (_recordStream && _phase == Phase.AfterRecord)
        {
            return; // JSON Lines end after any record
        }

        if (_phase != Phase.Closed)
        {
            if (_phase == Phase.InRecord && _inValue)
            {
                // The offset is where the unfinished record starts: an unescaped quote inside it makes the rest of the
                // file read as one string, so the end of the data is not where the damage is.
                throw Error(
                    _bufferBase + _valueStart,
                    $"{RecordName} starts here and does not end before the end of the data (decompressed byte {endOffset}): the file is truncated, or a string in that record has an unescaped quote",
                    record: _recordIndex);
            }

            var where = _phase is Phase.InRecord or Phase.RecordOrEnd or Phase.AfterRecord ? $" inside {RecordName}" : string.Empty;
            throw Error(endOffset, $"unexpected end of data{where}: the file is truncated or not complete JSON", record: _phase == Phase.InRecord ? _recordIndex : null);
        }

        if (!_sawRecords)
        {
            throw _documents > 0
                ? Error(endOffset, $"log document {_documents + 1} of the file has no 'Records' array")
                : NotALog(endOffset, "the document has no 'Records' array: not a CloudTrail log file (a digest or another kind of file?)");
        }
    }

    private void Expect(byte actual, byte expected, string what)
    {
        if (actual != expected)
        {
            throw Error(_bufferBase + _pos, $"expected {what}, found '{Printable(actual)}'");
        }
    }

    private static string Printable(byte b) => b is >= 0x20 and < 0x7f ? ((char)b).ToString() : $"0x{b:x2}";

    private CloudTrailFormatException Error(long offset, string reason, Exception? inner = null, long? record = null) =>
        new(_source, offset, record, reason, inner);

    private CloudTrailFormatException NotALog(long offset, string reason) => new(_source, offset, null, reason) { NotALogDocument = true };
}
