using Parquet;
using Parquet.Schema;
using Pipeline.Query;
using Pipeline.Sink;
using Pipeline.Sink.ParquetFormat;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sink.ParquetFormat;

/// <summary>
/// Our Parquet writer checked by two independent readers: Parquet.Net (a different implementation of the format)
/// and DuckDB (what analysts use). Values, nulls, statistics, dictionary and plain pages, several pages per column
/// chunk and several row groups per file.
/// </summary>
public sealed class KmsParquetFileWriterTests : IDisposable
{
    private readonly TempDataset _dataset = new();

    public void Dispose() => _dataset.Dispose();

    [Fact]
    public async Task Parquet_Net_reads_back_every_value_of_every_column_across_row_groups_and_pages()
    {
        // 150k rows in row groups of 100k (pages hold at most 64k values): dictionary columns, unique columns, nulls in patterns, a 1.5 MB value
        // (forces a page split by size) and non-ASCII text.
        var batch = BuildBatch(150_000, seed: 7);
        var rows = Enumerable.Range(0, batch.Count).Select(r => new RowRef(batch, r)).ToArray();
        var path = Path.Combine(_dataset.Root, "t.parquet");
        await using (var file = File.Create(path))
        {
            using var writer = new KmsParquetFileWriter();
            writer.Write(file, rows, 100_000, [new("pipeline.test", "yes")], CancellationToken.None);
        }

        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        Assert.Equal(2, reader.RowGroupCount);
        Assert.Equal("yes", reader.CustomMetadata["pipeline.test"]);
        var fields = reader.Schema.DataFields;
        Assert.Equal(KmsSchema.Columns.Select(c => c.Name), fields.Select(f => f.Name));
        Assert.Equal(KmsSchema.Columns.Select(c => c.Nullable), fields.Select(f => f.IsNullable));

        await AssertHoldsRowsAsync(reader, rows);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(3_000)]
    public async Task Rows_of_several_batches_in_shuffled_order_are_written_in_the_order_given(int count)
    {
        // What a flush hands the writer: rows of many sources' batches, put in key order, so the writer jumps between
        // batches and reads values ahead of the row it writes (including at the last rows and over null cells).
        var batches = new[] { BuildBatch(count, seed: 11), BuildBatch(count, seed: 12), BuildBatch(count, seed: 13) };
        var rows = batches.SelectMany(b => Enumerable.Range(0, b.Count).Select(r => new RowRef(b, r))).ToArray();
        new Random(5).Shuffle(rows);
        rows = rows[..count];
        var path = Path.Combine(_dataset.Root, "shuffled.parquet");
        await using (var file = File.Create(path))
        {
            using var writer = new KmsParquetFileWriter();
            writer.Write(file, rows, 1_000, [], CancellationToken.None);
        }

        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        await AssertHoldsRowsAsync(reader, rows);
    }

    /// <summary>Reads every column of every row group and compares each value with the row written there.</summary>
    private static async Task AssertHoldsRowsAsync(ParquetReader reader, RowRef[] rows)
    {
        var fields = reader.Schema.DataFields;
        var offset = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var n = (int)group.RowCount;
            for (var c = 0; c < KmsSchema.Columns.Length; c++)
            {
                var column = KmsSchema.Columns[c];
                var actual = await ReadColumnAsync(group, fields[c], column, n);
                for (var i = 0; i < n; i++)
                {
                    var row = rows[offset + i];
                    var expected = BatchRows.Value(row.Batch, column, row.Row);
                    if (!Equals(expected, actual[i]))
                    {
                        Assert.Fail($"{column.Name}, row {offset + i}: expected '{Show(expected)}', read '{Show(actual[i])}'");
                    }
                }
            }

            offset += n;
        }

        Assert.Equal(rows.Length, offset);
    }

    [Fact]
    public async Task DuckDB_reads_the_values_and_column_statistics_match_them()
    {
        var batch = BuildBatch(20_000, seed: 11);
        await _dataset.Writer(rowGroupSize: 8_000).WriteBatchAsync(batch, CancellationToken.None);
        using var query = DatasetQuery.Open(_dataset.Root);

        var names = string.Join(", ", KmsSchema.Columns.Select(c => c.Name));
        var rows = await query.QueryRowsAsync($"SELECT {names} FROM kms_events_all ORDER BY src_record_index", CancellationToken.None);
        Assert.Equal(batch.Count, rows.Count);
        var byIndex = Enumerable.Range(0, batch.Count).ToDictionary(r => batch.GetInt32(KmsSchema.SrcRecordIndex, r)!.Value);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = byIndex[(int)rows[i][KmsSchema.IndexOf("src_record_index")]!];
            foreach (var column in KmsSchema.Columns)
            {
                var expected = BatchRows.Value(batch, column, row);
                var actual = rows[i][KmsSchema.IndexOf(column.Name)];
                if (actual is DateTime t)
                {
                    actual = t.ToUniversalTime();
                }

                if (!Equals(expected, actual))
                {
                    Assert.Fail($"{column.Name}, row {row}: expected '{Show(expected)}', read '{Show(actual)}'");
                }
            }
        }

        // Row-group statistics are what lets DuckDB/Athena skip data: they must bound the values exactly.
        var file = _dataset.ParquetFiles().Single();
        var stats = await query.QueryRowsAsync(
            $"""
            SELECT m.row_group_id, m.path_in_schema, m.stats_min_value, m.stats_max_value, m.stats_null_count
            FROM parquet_metadata('{Path.Combine(_dataset.Root, file)}') m
            WHERE m.path_in_schema IN ('key_arn', 'event_name', 'event_id', 'src_record_index')
            """,
            CancellationToken.None);
        Assert.Equal(3 * 4, stats.Count);
        foreach (var s in stats)
        {
            var column = (string)s[1]!;
            var actual = await query.QueryRowsAsync(
                $"""
                WITH g AS (SELECT {column} AS v FROM read_parquet('{Path.Combine(_dataset.Root, file)}') LIMIT 8000 OFFSET {(long)s[0]! * 8000})
                SELECT CAST(min(v) AS VARCHAR), CAST(max(v) AS VARCHAR), count(*) - count(v) FROM g
                """,
                CancellationToken.None);
            Assert.Equal(actual[0][0], s[2]);
            Assert.Equal(actual[0][1], s[3]);
            Assert.Equal(actual[0][2], s[4]);
        }
    }

    [Fact]
    public async Task A_column_that_is_null_in_every_row_and_a_required_column_left_null_are_handled()
    {
        var batch = TestBatch.Of(new TestEvent("e1", TestBatch.Utc(2026, 1, 15, 10)), new TestEvent("e2", TestBatch.Utc(2026, 1, 15, 11)));
        await _dataset.Writer().WriteBatchAsync(batch, CancellationToken.None);
        using (var query = DatasetQuery.Open(_dataset.Root))
        {
            var rows = await query.QueryRowsAsync("SELECT count(*), count(policy_json), count(pending_window_days) FROM kms_events_all", CancellationToken.None);
            Assert.Equal(2L, rows[0][0]);
            Assert.Equal(0L, rows[0][1]);
        }

        var broken = new KmsEventBatch();
        var row = broken.AddRow();
        broken.SetChars(KmsSchema.EventId, row, "no-name");
        broken.SetEventDay(row, DateOnly.FromDateTime(TestBatch.Utc(2026, 1, 15)).DayNumber);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => _dataset.Writer().WriteBatchAsync(broken, CancellationToken.None));
        Assert.Contains("event_name", error.Message, StringComparison.Ordinal);
        Assert.Contains("no-name", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_dataset.AllFiles(), f => f.Contains("no-name", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 1)]
    [InlineData(new[] { 1, 0, 1, 1, 0, 1, 0, 0, 1 }, 1)]
    [InlineData(new[] { 5, 5, 5, 5, 5, 5, 5, 5, 5, 1, 2, 3, 7, 7, 7, 7, 7, 7, 7, 7, 0 }, 3)]
    [InlineData(new[] { 1000, 3, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 2 }, 10)]
    public void The_hybrid_encoding_decodes_to_the_input(int[] values, int bitWidth)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        RleHybridEncoder.Encode(values, bitWidth, output);
        Assert.Equal(values, DecodeHybrid(output.WrittenSpan, bitWidth, values.Length));
    }

    [Fact]
    public void The_hybrid_encoding_decodes_random_runs_and_noise()
    {
        var rng = new Random(3);
        for (var trial = 0; trial < 200; trial++)
        {
            var bitWidth = rng.Next(1, 18);
            var values = new List<int>();
            while (values.Count < rng.Next(1, 600))
            {
                var v = rng.Next(1 << bitWidth);
                values.AddRange(Enumerable.Repeat(v, rng.Next(3) == 0 ? rng.Next(1, 40) : 1));
            }

            var output = new System.Buffers.ArrayBufferWriter<byte>();
            RleHybridEncoder.Encode(values.ToArray(), bitWidth, output);
            Assert.Equal(values, DecodeHybrid(output.WrittenSpan, bitWidth, values.Count));
        }
    }

    private static KmsEventBatch BuildBatch(int count, int seed)
    {
        var rng = new Random(seed);
        var batch = new KmsEventBatch();
        var keys = Enumerable.Range(0, 37).Select(i => $"arn:aws:kms:eu-west-1:1111222233{i:D2}:key/{Guid.NewGuid()}").ToArray();
        var names = new[] { "Decrypt", "GenerateDataKey", "Encrypt", "ScheduleKeyDeletion", "Ünïcødé ✓ 🔑" };
        var huge = "{\"k\":\"" + new string('x', 1_500_000) + "\"}";
        var day = DateOnly.FromDateTime(TestBatch.Utc(2026, 1, 15)).DayNumber;
        for (var i = 0; i < count; i++)
        {
            var row = batch.AddRow();
            batch.SetEventDay(row, day);
            batch.SetChars(KmsSchema.EventId, row, Guid.NewGuid().ToString());
            batch.SetChars(KmsSchema.DedupeKey, row, i % 3 == 0 ? "shared" : "d" + i);
            batch.SetUtf8Interned(KmsSchema.EventName, row, System.Text.Encoding.UTF8.GetBytes(names[rng.Next(names.Length)]));
            batch.SetChars(KmsSchema.SrcKey, row, "AWSLogs/o-1/key-" + (i / 1000));
            batch.SetTimestamp(KmsSchema.EventTime, row, TestBatch.Utc(2026, 1, 15).AddTicks(rng.NextInt64(TimeSpan.TicksPerDay) / 10 * 10));
            batch.SetTimestamp(KmsSchema.IngestTime, row, TestBatch.Utc(2026, 1, 16, 1, 2, 3, i));
            batch.SetInt32(KmsSchema.SrcRecordIndex, row, i);
            batch.SetBoolean(KmsSchema.IsCrossAccount, row, rng.Next(5) == 0);
            batch.SetBoolean(KmsSchema.IsAwsServiceCall, row, i % 2 == 0);

            // Optional columns: null in different patterns (never, every other, mostly, runs).
            if (i % 7 != 0)
            {
                batch.SetUtf8Interned(KmsSchema.KeyArn, row, System.Text.Encoding.UTF8.GetBytes(keys[rng.Next(keys.Length)]));
            }

            if (i % 2 == 0)
            {
                batch.SetChars(KmsSchema.RequestId, row, "req-" + i);
            }

            if (i / 5000 % 2 == 1)
            {
                batch.SetChars(KmsSchema.UserAgent, row, i % 11 == 0 ? string.Empty : "aws-sdk-java/" + (i % 13));
            }

            if (i % 97 == 0)
            {
                batch.SetChars(KmsSchema.ErrorCode, row, "AccessDenied");
                batch.SetInt32(KmsSchema.PendingWindowDays, row, -i);
                batch.SetBoolean(KmsSchema.ReadOnly, row, i % 2 == 0);
            }

            batch.SetChars(KmsSchema.RequestParametersJson, row, i == count / 2 ? huge : "{\"keyId\":\"" + rng.Next() + "\"}");
        }

        return batch;
    }

    private static async Task<object?[]> ReadColumnAsync(ParquetRowGroupReader group, DataField field, ColumnSpec column, int n)
    {
        switch (column.Kind)
        {
            case ColumnKind.String:
                var strings = new string?[n];
                await group.ReadAsync(field, strings.AsMemory());
                return strings;
            case ColumnKind.Timestamp:
                var times = new DateTime[n];
                await group.ReadAsync(field, times.AsMemory());
                return times.Select(t => (object?)DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToArray();
            case ColumnKind.Boolean when column.Nullable:
                var nb = new bool?[n];
                await group.ReadAsync(field, nb.AsMemory());
                return nb.Select(v => (object?)v).ToArray();
            case ColumnKind.Boolean:
                var b = new bool[n];
                await group.ReadAsync(field, b.AsMemory());
                return b.Select(v => (object?)v).ToArray();
            case ColumnKind.Int32 when column.Nullable:
                var ni = new int?[n];
                await group.ReadAsync(field, ni.AsMemory());
                return ni.Select(v => (object?)v).ToArray();
            default:
                var ints = new int[n];
                await group.ReadAsync(field, ints.AsMemory());
                return ints.Select(v => (object?)v).ToArray();
        }
    }


    private static string Show(object? value) => value is string { Length: > 80 } s ? s[..80] + "…" : value?.ToString() ?? "NULL";

    /// <summary>An independent decoder of the RLE / bit-packed hybrid, written from the format description.</summary>
    private static List<int> DecodeHybrid(ReadOnlySpan<byte> data, int bitWidth, int count)
    {
        var result = new List<int>();
        var pos = 0;
        while (result.Count < count)
        {
            var header = 0;
            var shift = 0;
            byte b;
            do
            {
                b = data[pos++];
                header |= (b & 0x7F) << shift;
                shift += 7;
            }
            while ((b & 0x80) != 0);

            if ((header & 1) == 0)
            {
                var value = 0;
                for (var i = 0; i < (bitWidth + 7) / 8; i++)
                {
                    value |= data[pos++] << (8 * i);
                }

                result.AddRange(Enumerable.Repeat(value, header >> 1));
            }
            else
            {
                var values = (header >> 1) * 8;
                for (var v = 0; v < values; v++)
                {
                    var value = 0;
                    for (var bit = 0; bit < bitWidth; bit++)
                    {
                        var at = (v * bitWidth) + bit;
                        if ((data[pos + (at / 8)] & (1 << (at % 8))) != 0)
                        {
                            value |= 1 << bit;
                        }
                    }

                    if (result.Count < count)
                    {
                        result.Add(value);
                    }
                }

                pos += (header >> 1) * bitWidth;
            }
        }

        Assert.Equal(data.Length, pos);
        return result;
    }
}
