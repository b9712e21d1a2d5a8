using System.Text.Unicode;
using BenchmarkDotNet.Attributes;
using Parquet;
using Parquet.Schema;
using Pipeline.Benchmarks.Support;
using Pipeline.Parsing;
using Pipeline.Sink;
using Pipeline.Sink.ParquetFormat;

namespace Pipeline.Benchmarks.Sink;

/// <summary>
/// <see cref="ParquetPartitionWriter.WritePartitionAsync"/> of 50,000 rows of one event day (sort, encode, Zstd,
/// stage, publish) into a temp folder; the published file is deleted in the same operation so the disk stays clean.
/// <see cref="EncodeFile"/> and <see cref="ParquetNetEncodeFile"/> compare the encoding alone (sorted rows to a
/// null stream): our writer over the batch's UTF-8 storage, and Parquet.Net given the same columns already
/// materialised in the form it takes (<c>ReadOnlyMemory&lt;char&gt;</c>), zstd level 1 for both.
/// </summary>
[MemoryDiagnoser]
public class ParquetWriteBenchmark
{
    public const int Rows = 50_000;
    private static readonly SourceContext Source = SourceContext.ForFile("bench", new DateTime(2026, 1, 15, 0, 0, 0, DateTimeKind.Utc));
    private string _root = "";
    private LocalDatasetStore? _store;
    private ParquetPartitionWriter? _writer;
    private RowRef[] _rows = [];
    private RowRef[] _unsorted = [];
    private RowRef[] _scratch = [];
    private readonly RowSorter _sorter = new();
    private int _day;
    private KmsParquetFileWriter? _fileWriter;
    private ParquetSchema? _netSchema;
    private Array[] _netColumns = [];

    [GlobalSetup]
    public void Setup()
    {
        var records = KmsRecords.Load();
        var parser = new KmsRecordParser();
        var projector = new KmsRowProjector();
        var fields = default(KmsRecordFields);
        var batch = new KmsEventBatch();

        // One pass to find the busiest event day, then project the records over and over until it has enough rows.
        foreach (var r in records)
        {
            parser.Parse(r, ref fields, ReaderOptions.Default.MaxDepth);
            projector.Project(r, parser, ref fields, batch, Source, 0, 0, Utf8.IsValid(r));
        }

        _day = Enumerable.Range(0, batch.Count).GroupBy(batch.GetEventDay).OrderByDescending(g => g.Count()).First().Key;
        var rows = new List<RowRef>(Rows);
        for (long index = 0; rows.Count < Rows; index++)
        {
            var r = records[(int)(index % records.Count)];
            parser.Parse(r, ref fields, ReaderOptions.Default.MaxDepth);
            projector.Project(r, parser, ref fields, batch, Source, index, 0, Utf8.IsValid(r));
            if (batch.GetEventDay(batch.Count - 1) == _day)
            {
                rows.Add(new RowRef(batch, batch.Count - 1));
            }
        }

        _rows = rows.ToArray();
        _unsorted = rows.ToArray();
        _scratch = new RowRef[_unsorted.Length];
        _root = Path.Combine(Path.GetTempPath(), "pipeline-bench-sink-" + Environment.ProcessId);
        Directory.CreateDirectory(_root);
        _store = new LocalDatasetStore(_root);
        _writer = new ParquetPartitionWriter(_store, new ParquetPartitionWriterOptions());
        new RowSorter().Sort(_rows);
        _fileWriter = new KmsParquetFileWriter();
        _netSchema = new ParquetSchema(KmsSchema.Columns.Select(ToParquetNetField).ToArray());
        _netColumns = KmsSchema.Columns.Select(c => Materialise(c, _rows)).ToArray();
    }

    [Benchmark]
    public long EncodeFile()
    {
        using var counter = new CountingNullStream();
        _fileWriter!.Write(counter, _rows, ParquetPartitionWriterOptions.DefaultRowGroupSize, [], CancellationToken.None);
        return counter.Length;
    }

    [Benchmark(Baseline = true)]
    public async Task<long> ParquetNetEncodeFile()
    {
        using var counter = new CountingNullStream();
        var options = new ParquetOptions { CompressionMethod = CompressionMethod.Zstd, CompressionLevel = System.IO.Compression.CompressionLevel.Fastest };
        var writer = await ParquetWriter.CreateAsync(_netSchema!, counter, options).ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            using var group = writer.CreateRowGroup();
            for (var c = 0; c < KmsSchema.Columns.Length; c++)
            {
                var field = _netSchema!.DataFields[c];
                var task = _netColumns[c] switch
                {
                    ReadOnlyMemory<char>?[] strings => group.WriteAsync<ReadOnlyMemory<char>>(field, strings),
                    DateTime[] times => group.WriteAsync<DateTime>(field, times),
                    bool?[] flags when field.IsNullable => group.WriteAsync<bool>(field, flags),
                    bool?[] flags => group.WriteAsync<bool>(field, flags.Select(f => f!.Value).ToArray()),
                    int?[] ints when field.IsNullable => group.WriteAsync<int>(field, ints),
                    int?[] ints => group.WriteAsync<int>(field, ints.Select(f => f!.Value).ToArray()),
                    _ => throw new InvalidOperationException(),
                };
                await task.ConfigureAwait(false);
            }
        }

        return counter.Length;
    }

    private static DataField ToParquetNetField(ColumnSpec column) => column.Kind switch
    {
        ColumnKind.String => new DataField<string>(column.Name, column.Nullable),
        ColumnKind.Timestamp => new DateTimeDataField(column.Name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, DateTimeTimeUnit.Micros, isNullable: column.Nullable),
        ColumnKind.Boolean => new DataField<bool>(column.Name, column.Nullable),
        _ => new DataField<int>(column.Name, column.Nullable),
    };

    private static Array Materialise(ColumnSpec column, RowRef[] rows) => column.Kind switch
    {
        ColumnKind.String => rows.Select(r => r.Batch.GetString(column.Slot, r.Row) is { } s ? (ReadOnlyMemory<char>?)s.AsMemory() : null).ToArray(),
        ColumnKind.Timestamp => rows.Select(r => r.Batch.GetTimestamp(column.Slot, r.Row)).ToArray(),
        ColumnKind.Boolean => rows.Select(r => r.Batch.GetBoolean(column.Slot, r.Row)).ToArray(),
        _ => rows.Select(r => r.Batch.GetInt32(column.Slot, r.Row)).ToArray(),
    };

    /// <summary>Discards what is written and counts it, so encoding is measured without the disk.</summary>
    private sealed class CountingNullStream : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
    }

    /// <summary>The rows in the order the projection made them, put in file order by the sorter a flush uses.</summary>
    [Benchmark]
    public long SortRows()
    {
        _unsorted.CopyTo(_scratch, 0);
        _sorter.Sort(_scratch);
        return _scratch[^1].Row;
    }

    /// <summary>The same with <see cref="Array.Sort{T}(T[], IComparer{T})"/> and the row comparer (the sort before the keyed one).</summary>
    [Benchmark]
    public long SortRowsWithComparer()
    {
        _unsorted.CopyTo(_scratch, 0);
        Array.Sort(_scratch, RowRefComparer.Instance);
        return _scratch[^1].Row;
    }

    [Benchmark]
    public async Task<long> WritePartition()
    {
        var published = await _writer!.WritePartitionAsync(_day, _rows, CancellationToken.None).ConfigureAwait(false);
        File.Delete(_store!.GetFullPath(published.RelativePath));
        return published.Bytes;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fileWriter?.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
