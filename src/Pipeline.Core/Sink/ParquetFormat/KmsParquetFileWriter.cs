using System.Buffers;
using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Pipeline.Sink.ParquetFormat;

/// <summary>
/// Writes rows of <see cref="KmsEventBatch"/>es as one Parquet file (format version 1 data pages, zstd), straight from
/// the batches' UTF-8 column storage: no string objects, no transcoding, one reusable set of buffers per writer.
/// String columns whose values repeat (regions, ARNs, event names...) are dictionary-encoded, which is both smaller
/// and cheaper than compressing the repeats. Column chunks carry min/max statistics so readers prune row groups.
/// Not thread-safe; one instance writes one file at a time.
/// </summary>
internal sealed class KmsParquetFileWriter : IDisposable
{
    private const int TargetPageBytes = 1024 * 1024;
    private const int MaxPageValues = 64 * 1024;
    private const int DictionarySample = 1024;
    private const int MaxDictionaryBytes = 2 * 1024 * 1024;
    private const int MaxStatisticsBytes = 256;
    private static readonly byte[] Magic = "PAR1"u8.ToArray();
    private static readonly string CreatedBy = $"pipeline version {typeof(KmsParquetFileWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0"}";

    private readonly Compressor _zstd = new(1);
    private readonly Compressor _zstdFast = FastCompressor();
    private readonly ArrayBufferWriter<byte> _body = new(256 * 1024);
    private readonly ArrayBufferWriter<byte> _values = new(256 * 1024);
    private readonly ArrayBufferWriter<byte> _header = new(256);
    private readonly ArrayBufferWriter<byte> _footer = new(16 * 1024);
    private readonly StringDictionary _dictionary = new();
    private readonly BinaryStatistics _stats = new();
    private byte[] _compressed = [];
    private int[] _levels = [];
    private int[] _indices = [];
    private long[] _fixedValues = [];
    private Stream _stream = Stream.Null;
    private long _offset;

    /// <summary>
    /// zstd for the pages of string columns written PLAIN (ids, ARNs and JSON too varied for a dictionary): level -3,
    /// with Huffman-coded literals kept on (negative levels switch them off by default). On UUID text it runs at about
    /// twice level 1's speed for the same ratio (~2:1, all of it from the literals); over the benchmark archive it took
    /// ~0.035 CPU s off ingest in six alternating runs for 0.3 % more bytes. Every other page uses level 1.
    /// </summary>
    private static Compressor FastCompressor()
    {
        var compressor = new Compressor(-3);
        compressor.SetParameter(ZSTD_cParameter.ZSTD_c_experimentalParam5, 1); // literal compression mode: Huffman
        return compressor;
    }

    /// <summary>Writes <paramref name="rows"/> (already in file order) to <paramref name="stream"/> as a complete file.</summary>
    public void Write(Stream stream, ReadOnlySpan<RowRef> rows, int rowGroupSize, IReadOnlyList<KeyValuePair<string, string>> metadata, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupSize, 1);
        _stream = stream;
        _offset = 0;
        try
        {
            Emit(Magic);
            var groups = new List<RowGroupInfo>();
            for (var start = 0; start < rows.Length; start += rowGroupSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var group = rows.Slice(start, Math.Min(rowGroupSize, rows.Length - start));
                var chunks = new ColumnChunkInfo[KmsSchema.Columns.Length];
                var groupStart = _offset;
                for (var c = 0; c < chunks.Length; c++)
                {
                    chunks[c] = WriteColumn(KmsSchema.Columns[c], group);
                }

                groups.Add(new RowGroupInfo(chunks, group.Length, groupStart, _offset - groupStart));
            }

            WriteFooter(groups, rows.Length, metadata);
        }
        finally
        {
            _stream = Stream.Null;
        }
    }

    public void Dispose()
    {
        _zstd.Dispose();
        _zstdFast.Dispose();
        ReturnPooled();
    }

    private ColumnChunkInfo WriteColumn(ColumnSpec column, ReadOnlySpan<RowRef> rows)
    {
        var info = new ColumnChunkInfo(column) { Start = _offset };
        EnsureCapacity(ref _levels, rows.Length);
        switch (column.Kind)
        {
            case ColumnKind.String:
                WriteStringColumn(column, rows, info);
                break;
            case ColumnKind.Timestamp:
                WriteFixedColumn<TimestampMicros>(column, rows, info);
                break;
            case ColumnKind.Int32:
                WriteFixedColumn<NullableInt32>(column, rows, info);
                break;
            case ColumnKind.Boolean:
                WriteBooleanColumn(column, rows, info);
                break;
            default:
                throw new InvalidOperationException($"Unknown column kind {column.Kind}.");
        }

        info.TotalBytes = _offset - info.Start;
        return info;
    }

    private void WriteStringColumn(ColumnSpec column, ReadOnlySpan<RowRef> rows, ColumnChunkInfo info)
    {
        _stats.Reset();
        long nonNullValues = 0;
        if (TryBuildDictionary(column, rows, out var dictionaryValues))
        {
            // Dictionary page: the distinct values, PLAIN-encoded.
            _body.ResetWrittenCount();
            _dictionary.WritePlain(_body);
            info.DictionaryOffset = _offset;
            EmitPage(info, PageKind.Dictionary, _dictionary.Count, _body.WrittenSpan);
            info.Encodings = [ParquetEncoding.Plain, ParquetEncoding.Rle, ParquetEncoding.RleDictionary];

            nonNullValues = dictionaryValues;
            var bitWidth = Math.Max(1, RleHybridEncoder.BitWidth(_dictionary.Count - 1));
            var firstIndex = 0;
            for (var start = 0; start < rows.Length; start += MaxPageValues)
            {
                var count = Math.Min(MaxPageValues, rows.Length - start);
                _body.ResetWrittenCount();
                var nonNull = WriteNotedLevels(column, start, count);
                _body.GetSpan(1)[0] = (byte)bitWidth;
                _body.Advance(1);
                RleHybridEncoder.Encode(_indices.AsSpan(firstIndex, nonNull), bitWidth, _body);
                firstIndex += nonNull;
                info.DataOffset ??= _offset;
                EmitPage(info, PageKind.Data, count, _body.WrittenSpan, ParquetEncoding.RleDictionary);
            }
        }
        else
        {
            info.Encodings = [ParquetEncoding.Plain, ParquetEncoding.Rle];
            var start = 0;
            while (start < rows.Length)
            {
                // One pass per page: the values go to their own buffer (a page ends at ~1 MB of them, so page buffers
                // stay small whatever the column holds) while the definition levels are noted, then levels + values.
                _values.ResetWrittenCount();
                var count = 0;
                while (start + count < rows.Length && count < MaxPageValues && _values.WrittenCount < TargetPageBytes)
                {
                    PrefetchAhead(rows, start + count, column.Slot);
                    var r = rows[start + count];
                    var reference = r.Batch.GetRef(column.Slot, r.Row);
                    if (reference.IsNull)
                    {
                        ThrowIfRequired(column, r);
                        _levels[count++] = 0;
                        continue;
                    }

                    var value = r.Batch.GetUtf8(reference);
                    var span = _values.GetSpan(value.Length + 4);
                    BinaryPrimitives.WriteInt32LittleEndian(span, value.Length);
                    SmallCopy.To(value, span[4..]);
                    _values.Advance(value.Length + 4);
                    _stats.Add(value);
                    _levels[count++] = 1;
                    nonNullValues++;
                }

                _body.ResetWrittenCount();
                if (column.Nullable)
                {
                    WriteLevelRuns(_levels.AsSpan(0, count));
                }

                _values.WrittenSpan.CopyTo(_body.GetSpan(_values.WrittenCount));
                _body.Advance(_values.WrittenCount);
                info.DataOffset ??= _offset;
                EmitPage(info, PageKind.Data, count, _body.WrittenSpan, ParquetEncoding.Plain, _zstdFast);
                start += count;
            }
        }

        info.NullCount = rows.Length - nonNullValues;
        if (_stats.HasValue && _stats.Min.Length <= MaxStatisticsBytes && _stats.Max.Length <= MaxStatisticsBytes)
        {
            info.Min = _stats.Min.ToArray();
            info.Max = _stats.Max.ToArray();
        }
    }

    /// <summary>
    /// Writes the definition levels <see cref="TryBuildDictionary"/> noted for rows <paramref name="start"/> onwards
    /// (optional columns only; the rows are not read again); returns the number of non-null values among them.
    /// </summary>
    private int WriteNotedLevels(ColumnSpec column, int start, int count)
    {
        if (!column.Nullable)
        {
            return count;
        }

        var levels = _levels.AsSpan(start, count);
        WriteLevelRuns(levels);
        return count - levels.Count(0);
    }

    /// <summary>
    /// Dictionary-encodes the column when its values repeat: decided on a sample, abandoned when the dictionary grows
    /// past <see cref="MaxDictionaryBytes"/>. On success <see cref="_indices"/> holds one index per non-null value and
    /// <see cref="_levels"/> one definition level per row.
    /// </summary>
    private bool TryBuildDictionary(ColumnSpec column, ReadOnlySpan<RowRef> rows, out int nonNull)
    {
        nonNull = 0;
        if (!KmsSchema.MayRepeat(column))
        {
            return false;
        }

        _dictionary.Clear();
        EnsureCapacity(ref _indices, rows.Length);
        var n = 0;
        KmsEventBatch? lastBatch = null;
        var lastRef = StringRef.Null;
        var lastIndex = -1;
        ReadOnlySpan<byte> lastBytes = [];
        for (var i = 0; i < rows.Length; i++)
        {
            PrefetchAhead(rows, i, column.Slot);
            var r = rows[i];
            var reference = r.Batch.GetRef(column.Slot, r.Row);
            if (reference.IsNull)
            {
                ThrowIfRequired(column, r);
                _levels[i] = 0;
                continue;
            }

            _levels[i] = 1;

            // Rows are sorted by key, so a value often repeats the previous row's: the same stored bytes (no lookup
            // at all), or equal bytes stored again (one compare instead of a hash and a probe).
            if (!ReferenceEquals(r.Batch, lastBatch) || reference != lastRef)
            {
                var bytes = r.Batch.GetUtf8(reference);
                if (lastIndex < 0 || !bytes.SequenceEqual(lastBytes))
                {
                    lastIndex = _dictionary.Add(r.Batch, reference, out var added);
                    if (added)
                    {
                        _stats.Add(bytes);
                    }
                }

                lastBatch = r.Batch;
                lastRef = reference;
                lastBytes = bytes;
            }

            _indices[n++] = lastIndex;
            if ((n == DictionarySample && _dictionary.Count > DictionarySample / 2) || _dictionary.Bytes > MaxDictionaryBytes)
            {
                return false;
            }
        }

        nonNull = n;
        return n > 0;
    }

    // Rows ahead whose value is requested from memory before it is needed (a load from memory takes about as long as
    // handling this many values whose bytes are already in the cache), and further ahead, the cell that locates it.
    // Value distances of 2-16 and cell distances of 16-40 measured within about 1 % of each other; a cell requested 32
    // rows ahead was ~1 % better than 16 (benchmarks/README.md, twenty-fourth session).
    private const int PrefetchDistance = 8;
    private const int CellPrefetchDistance = 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchAhead(ReadOnlySpan<RowRef> rows, int i, int slot)
    {
        // Two steps: the cell that says where a row's value is, then (once that has arrived) the value itself.
        if ((uint)(i + CellPrefetchDistance) < (uint)rows.Length)
        {
            var further = rows[i + CellPrefetchDistance];
            further.Batch.PrefetchRef(slot, further.Row);
        }

        if ((uint)(i + PrefetchDistance) < (uint)rows.Length)
        {
            var ahead = rows[i + PrefetchDistance];
            ahead.Batch.PrefetchValue(slot, ahead.Row);
        }
    }

    private void WriteFixedColumn<TValue>(ColumnSpec column, ReadOnlySpan<RowRef> rows, ColumnChunkInfo info)
        where TValue : IFixedWidthValue
    {
        info.Encodings = [ParquetEncoding.Plain, ParquetEncoding.Rle];
        var width = TValue.Width;
        long min = long.MaxValue, max = long.MinValue;
        var nulls = 0L;
        EnsureCapacity(ref _fixedValues, Math.Min(MaxPageValues, rows.Length));
        for (var start = 0; start < rows.Length; start += MaxPageValues)
        {
            var page = rows.Slice(start, Math.Min(MaxPageValues, rows.Length - start));

            // Levels come first in the page, so the values are gathered (and the levels noted) before either is written.
            var n = 0;
            for (var i = 0; i < page.Length; i++)
            {
                if (!TValue.TryGet(page[i], column.Slot, out var v))
                {
                    ThrowIfRequired(column, page[i]);
                    _levels[i] = 0;
                    nulls++;
                    continue;
                }

                _levels[i] = 1;
                _fixedValues[n++] = v;
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }

            _body.ResetWrittenCount();
            if (column.Nullable)
            {
                WriteLevelRuns(_levels.AsSpan(0, page.Length));
            }

            var bytes = _body.GetSpan(n * width);
            for (var i = 0; i < n; i++)
            {
                if (width == 8)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(bytes[(i * 8)..], _fixedValues[i]);
                }
                else
                {
                    BinaryPrimitives.WriteInt32LittleEndian(bytes[(i * 4)..], (int)_fixedValues[i]);
                }
            }

            _body.Advance(n * width);
            info.DataOffset ??= _offset;
            EmitPage(info, PageKind.Data, page.Length, _body.WrittenSpan, ParquetEncoding.Plain);
        }

        info.NullCount = nulls;
        if (min <= max)
        {
            info.Min = new byte[width];
            info.Max = new byte[width];
            if (width == 8)
            {
                BinaryPrimitives.WriteInt64LittleEndian(info.Min, min);
                BinaryPrimitives.WriteInt64LittleEndian(info.Max, max);
            }
            else
            {
                BinaryPrimitives.WriteInt32LittleEndian(info.Min, (int)min);
                BinaryPrimitives.WriteInt32LittleEndian(info.Max, (int)max);
            }
        }
    }

    private void WriteBooleanColumn(ColumnSpec column, ReadOnlySpan<RowRef> rows, ColumnChunkInfo info)
    {
        info.Encodings = [ParquetEncoding.Plain, ParquetEncoding.Rle];
        bool sawFalse = false, sawTrue = false;
        var nulls = 0L;
        for (var start = 0; start < rows.Length; start += MaxPageValues)
        {
            var page = rows.Slice(start, Math.Min(MaxPageValues, rows.Length - start));
            _body.ResetWrittenCount();
            WriteLevels<BooleanPresence>(column, page);

            // PLAIN booleans: one bit per value, least significant bit first.
            var bits = _body.GetSpan((page.Length + 7) / 8);
            bits[..((page.Length + 7) / 8)].Clear();
            var n = 0;
            foreach (var r in page)
            {
                if (r.Batch.GetBoolean(column.Slot, r.Row) is not { } b)
                {
                    ThrowIfRequired(column, r);
                    nulls++;
                    continue;
                }

                if (b)
                {
                    bits[n >> 3] |= (byte)(1 << (n & 7));
                    sawTrue = true;
                }
                else
                {
                    sawFalse = true;
                }

                n++;
            }

            _body.Advance((n + 7) / 8);
            info.DataOffset ??= _offset;
            EmitPage(info, PageKind.Data, page.Length, _body.WrittenSpan, ParquetEncoding.Plain);
        }

        info.NullCount = nulls;
        if (sawFalse || sawTrue)
        {
            info.Min = [sawFalse ? (byte)0 : (byte)1];
            info.Max = [sawTrue ? (byte)1 : (byte)0];
        }
    }

    /// <summary>Writes the page's definition levels (optional columns only); returns the number of non-null values.</summary>
    private int WriteLevels<TPresence>(ColumnSpec column, ReadOnlySpan<RowRef> page)
        where TPresence : IValuePresence
    {
        if (!column.Nullable)
        {
            return page.Length;
        }

        var nonNull = 0;
        for (var i = 0; i < page.Length; i++)
        {
            _levels[i] = TPresence.IsPresent(page[i], column.Slot) ? 1 : 0;
            nonNull += _levels[i];
        }

        WriteLevelRuns(_levels.AsSpan(0, page.Length));
        return nonNull;
    }

    /// <summary>Writes <paramref name="levels"/> as a length-prefixed RLE/bit-packed run (bit width 1).</summary>
    private void WriteLevelRuns(ReadOnlySpan<int> levels)
    {
        var lengthAt = _body.WrittenCount;
        _body.GetSpan(4);
        _body.Advance(4);
        RleHybridEncoder.Encode(levels, 1, _body);
        var length = _body.WrittenCount - lengthAt - 4;
        BinaryPrimitives.WriteInt32LittleEndian(MemoryMarshal.AsMemory(_body.WrittenMemory).Span.Slice(lengthAt, 4), length);
    }

    private void EmitPage(ColumnChunkInfo info, PageKind kind, int values, ReadOnlySpan<byte> body, ParquetEncoding encoding = ParquetEncoding.Plain, Compressor? compressor = null)
    {
        var bound = (int)Compressor.GetCompressBound(body.Length);
        EnsureCapacity(ref _compressed, bound);
        var compressedLength = (compressor ?? _zstd).Wrap(body, _compressed);

        _header.ResetWrittenCount();
        var t = new ThriftCompactWriter(_header);
        t.I32(1, kind == PageKind.Dictionary ? 2 : 0); // PageType: DATA_PAGE = 0, DICTIONARY_PAGE = 2
        t.I32(2, body.Length);
        t.I32(3, compressedLength);
        if (kind == PageKind.Dictionary)
        {
            t.BeginStruct(7); // DictionaryPageHeader
            t.I32(1, values);
            t.I32(2, (int)ParquetEncoding.Plain);
            t.EndStruct();
        }
        else
        {
            t.BeginStruct(5); // DataPageHeader
            t.I32(1, values);
            t.I32(2, (int)encoding);
            t.I32(3, (int)ParquetEncoding.Rle); // definition levels
            t.I32(4, (int)ParquetEncoding.Rle); // repetition levels (none: flat schema)
            t.EndStruct();
        }

        t.End();
        info.UncompressedBytes += _header.WrittenCount + body.Length;
        if (kind == PageKind.Data)
        {
            info.Values += values;
        }

        Emit(_header.WrittenSpan);
        Emit(_compressed.AsSpan(0, compressedLength));
    }

    private void WriteFooter(List<RowGroupInfo> groups, long rows, IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        _footer.ResetWrittenCount();
        var t = new ThriftCompactWriter(_footer);
        t.I32(1, 1); // version
        t.BeginList(2, ThriftCompactWriter.TypeStruct, KmsSchema.Columns.Length + 1);
        t.BeginListStruct(); // root
        t.String(4, "schema");
        t.I32(5, KmsSchema.Columns.Length);
        t.EndStruct();
        foreach (var column in KmsSchema.Columns)
        {
            t.BeginListStruct();
            t.I32(1, (int)PhysicalType(column.Kind));
            t.I32(3, column.Nullable ? 1 : 0); // OPTIONAL : REQUIRED
            t.String(4, column.Name);
            switch (column.Kind)
            {
                case ColumnKind.String:
                    t.I32(6, 0); // ConvertedType UTF8
                    t.BeginStruct(10); // LogicalType
                    t.BeginStruct(1); // STRING
                    t.EndStruct();
                    t.EndStruct();
                    break;
                case ColumnKind.Timestamp:
                    t.I32(6, 10); // ConvertedType TIMESTAMP_MICROS
                    t.BeginStruct(10);
                    t.BeginStruct(8); // TIMESTAMP
                    t.Bool(1, true); // isAdjustedToUTC: DuckDB reads TIMESTAMP WITH TIME ZONE
                    t.BeginStruct(2); // unit
                    t.BeginStruct(2); // MICROS
                    t.EndStruct();
                    t.EndStruct();
                    t.EndStruct();
                    t.EndStruct();
                    break;
            }

            t.EndStruct();
        }

        t.I64(3, rows);
        t.BeginList(4, ThriftCompactWriter.TypeStruct, groups.Count);
        for (short g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            t.BeginListStruct();
            t.BeginList(1, ThriftCompactWriter.TypeStruct, group.Columns.Length);
            long uncompressed = 0;
            foreach (var chunk in group.Columns)
            {
                uncompressed += chunk.UncompressedBytes;
                WriteColumnChunk(t, chunk);
            }

            t.I64(2, uncompressed);
            t.I64(3, group.Rows);
            t.I64(5, group.Start);
            t.I64(6, group.CompressedBytes);
            t.I16(7, g);
            t.EndStruct();
        }

        if (metadata.Count > 0)
        {
            t.BeginList(5, ThriftCompactWriter.TypeStruct, metadata.Count);
            foreach (var (key, value) in metadata)
            {
                t.BeginListStruct();
                t.String(1, key);
                t.String(2, value);
                t.EndStruct();
            }
        }

        t.String(6, CreatedBy);

        // column_orders: TYPE_DEFINED_ORDER for every column, so readers trust min_value/max_value.
        t.BeginList(7, ThriftCompactWriter.TypeStruct, KmsSchema.Columns.Length);
        for (var i = 0; i < KmsSchema.Columns.Length; i++)
        {
            t.BeginListStruct();
            t.BeginStruct(1);
            t.EndStruct();
            t.EndStruct();
        }

        t.End();
        Emit(_footer.WrittenSpan);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, _footer.WrittenCount);
        Emit(length);
        Emit(Magic);
    }

    private static void WriteColumnChunk(ThriftCompactWriter t, ColumnChunkInfo chunk)
    {
        t.BeginListStruct();
        t.I64(2, chunk.Start); // file_offset
        t.BeginStruct(3); // ColumnMetaData
        t.I32(1, (int)PhysicalType(chunk.Column.Kind));
        t.BeginList(2, ThriftCompactWriter.TypeI32, chunk.Encodings.Length);
        foreach (var e in chunk.Encodings)
        {
            t.I32Element((int)e);
        }

        t.BeginList(3, ThriftCompactWriter.TypeBinary, 1);
        t.StringElement(chunk.Column.Name);
        t.I32(4, 6); // codec ZSTD
        t.I64(5, chunk.Values);
        t.I64(6, chunk.UncompressedBytes);
        t.I64(7, chunk.TotalBytes);
        t.I64(9, chunk.DataOffset ?? chunk.Start);
        if (chunk.DictionaryOffset is { } dictionary)
        {
            t.I64(11, dictionary);
        }

        t.BeginStruct(12); // Statistics
        t.I64(3, chunk.NullCount);
        if (chunk.Max is not null && chunk.Min is not null)
        {
            t.Binary(5, chunk.Max);
            t.Binary(6, chunk.Min);
        }

        t.EndStruct();
        t.EndStruct(); // ColumnMetaData
        t.EndStruct(); // ColumnChunk
    }

    private static ParquetType PhysicalType(ColumnKind kind) => kind switch
    {
        ColumnKind.String => ParquetType.ByteArray,
        ColumnKind.Timestamp => ParquetType.Int64,
        ColumnKind.Int32 => ParquetType.Int32,
        ColumnKind.Boolean => ParquetType.Boolean,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private void Emit(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        _offset += bytes.Length;
    }

    private static void ThrowIfRequired(ColumnSpec column, RowRef row)
    {
        if (!column.Nullable)
        {
            throw new InvalidDataException(
                $"Column '{column.Name}' is not nullable but is null in row {row.Row} (event_id '{row.Batch.GetString(KmsSchema.EventId, row.Row)}').");
        }
    }

    private static void EnsureCapacity<T>(ref T[] array, int length)
    {
        if (array.Length < length)
        {
            if (array.Length > 0)
            {
                ArrayPool<T>.Shared.Return(array);
            }

            array = ArrayPool<T>.Shared.Rent(length);
        }
    }

    private void ReturnPooled()
    {
        if (_compressed.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_compressed);
        }

        if (_levels.Length > 0)
        {
            ArrayPool<int>.Shared.Return(_levels);
        }

        if (_indices.Length > 0)
        {
            ArrayPool<int>.Shared.Return(_indices);
        }

        if (_fixedValues.Length > 0)
        {
            ArrayPool<long>.Shared.Return(_fixedValues);
        }

        _compressed = [];
        _levels = [];
        _indices = [];
        _fixedValues = [];
    }

    // Per-value accessors as generic struct arguments rather than delegates: the calls are resolved when the method is
    // compiled and inlined, instead of an indirect call (through a thunk) per value of every column.
    private interface IValuePresence
    {
        static abstract bool IsPresent(RowRef row, int slot);
    }

    private interface IFixedWidthValue
    {
        static abstract int Width { get; }

        static abstract bool TryGet(RowRef row, int slot, out long value);
    }

    private readonly struct BooleanPresence : IValuePresence
    {
        public static bool IsPresent(RowRef row, int slot) => row.Batch.GetBoolean(slot, row.Row).HasValue;
    }

    /// <summary>TIMESTAMP(MICROS): microseconds since the Unix epoch; never null.</summary>
    private readonly struct TimestampMicros : IFixedWidthValue
    {
        public static int Width => 8;

        public static bool TryGet(RowRef row, int slot, out long value)
        {
            value = (row.Batch.GetTimestamp(slot, row.Row).Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;
            return true;
        }
    }

    private readonly struct NullableInt32 : IFixedWidthValue
    {
        public static int Width => 4;

        public static bool TryGet(RowRef row, int slot, out long value)
        {
            var v = row.Batch.GetInt32(slot, row.Row);
            value = v ?? 0;
            return v.HasValue;
        }
    }

    private enum PageKind
    {
        Data,
        Dictionary,
    }

    private sealed record RowGroupInfo(ColumnChunkInfo[] Columns, int Rows, long Start, long CompressedBytes);

    private sealed class ColumnChunkInfo(ColumnSpec column)
    {
        public ColumnSpec Column { get; } = column;

        public long Start { get; init; }

        public long? DictionaryOffset { get; set; }

        public long? DataOffset { get; set; }

        public long Values { get; set; }

        public long UncompressedBytes { get; set; }

        public long TotalBytes { get; set; }

        public long NullCount { get; set; }

        public byte[]? Min { get; set; }

        public byte[]? Max { get; set; }

        public ParquetEncoding[] Encodings { get; set; } = [];
    }
}
