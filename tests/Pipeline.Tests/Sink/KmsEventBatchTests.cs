using System.Text;
using Pipeline.Sink;

namespace Pipeline.Tests.Sink;

public sealed class KmsEventBatchTests
{
    [Fact]
    public void A_released_batch_is_refilled_without_returning_values_interned_before_the_release()
    {
        var batch = new KmsEventBatch();
        for (var i = 0; i < 3000; i++)
        {
            var row = batch.AddRow();
            batch.SetUtf8Interned(KmsSchema.KeyArn, row, Encoding.UTF8.GetBytes("arn:aws:kms:us-east-1:111122223333:key/" + (i % 5)));
            batch.SetUtf8(KmsSchema.EventId, row, Encoding.UTF8.GetBytes("first-" + i));
        }

        batch.Release();
        Assert.Equal(0, batch.Count);

        // The same key text again: the interner must not hand back a location in the released storage.
        var filler = batch.AddRow();
        batch.SetUtf8(KmsSchema.EventId, filler, Encoding.UTF8.GetBytes(new string('z', 300)));
        var again = batch.AddRow();
        batch.SetUtf8Interned(KmsSchema.KeyArn, again, Encoding.UTF8.GetBytes("arn:aws:kms:us-east-1:111122223333:key/3"));
        Assert.Equal("arn:aws:kms:us-east-1:111122223333:key/3", batch.GetString(KmsSchema.KeyArn, again));
        Assert.Equal(new string('z', 300), batch.GetString(KmsSchema.EventId, filler));
        Assert.True(batch.IsNull(KmsSchema.KeyArn, filler));
    }

    [Fact]
    public void A_released_batch_gives_its_row_blocks_and_text_chunks_back()
    {
        var batch = new KmsEventBatch();
        for (var i = 0; i < 1000; i++)
        {
            batch.SetUtf8(KmsSchema.EventId, batch.AddRow(), Encoding.UTF8.GetBytes(new string('e', 100)));
        }

        Assert.True(batch.Capacity >= 1000);
        Assert.True(batch.RetainedBytes > 1000 * 100, $"{batch.RetainedBytes} bytes held");

        batch.Release();
        Assert.Equal(0, batch.Capacity);
        Assert.True(batch.RetainedBytes < 64 * 1024, $"{batch.RetainedBytes} bytes still held after release");
    }

    [Fact]
    public void A_refilled_batch_reads_null_for_every_column_its_new_rows_do_not_set()
    {
        // Blocks and chunks are reused (by Clear here, through the shared pool after Release): a new row must not
        // show the values an earlier row left in the same cells.
        foreach (var release in new[] { false, true })
        {
            var batch = new KmsEventBatch();
            for (var i = 0; i < 100; i++)
            {
                var row = batch.AddRow();
                for (var c = 0; c < KmsSchema.StringCount; c++)
                {
                    batch.SetUtf8(c, row, "old"u8);
                }

                for (var c = 0; c < KmsSchema.BooleanCount; c++)
                {
                    batch.SetBoolean(c, row, true);
                }

                for (var c = 0; c < KmsSchema.Int32Count; c++)
                {
                    batch.SetInt32(c, row, 7);
                }

                for (var c = 0; c < KmsSchema.TimestampCount; c++)
                {
                    batch.SetTimestamp(c, row, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
                }

                batch.SetEventDay(row, 739_000);
            }

            if (release)
            {
                batch.Release();
            }
            else
            {
                batch.Clear();
            }

            for (var i = 0; i < 100; i++)
            {
                var row = batch.AddRow();
                Assert.Equal(i, row);
                batch.SetUtf8(KmsSchema.EventId, row, Encoding.UTF8.GetBytes("new-" + i));
            }

            for (var row = 0; row < 100; row++)
            {
                Assert.Equal("new-" + row, batch.GetString(KmsSchema.EventId, row));
                for (var c = 0; c < KmsSchema.StringCount; c++)
                {
                    Assert.True(c == KmsSchema.EventId || batch.IsNull(c, row), $"string column {c} of row {row} (release: {release})");
                }

                for (var c = 0; c < KmsSchema.BooleanCount; c++)
                {
                    Assert.Null(batch.GetBoolean(c, row));
                }

                for (var c = 0; c < KmsSchema.Int32Count; c++)
                {
                    Assert.Null(batch.GetInt32(c, row));
                }

                for (var c = 0; c < KmsSchema.TimestampCount; c++)
                {
                    Assert.Equal(default, batch.GetTimestamp(c, row));
                }

                Assert.Equal(0, batch.GetEventDay(row));
            }
        }
    }

    [Fact]
    public void Values_larger_than_a_text_chunk_and_values_across_chunk_boundaries_read_back_whole()
    {
        var batch = new KmsEventBatch();
        var expected = new List<string>();
        for (var i = 0; i < 400; i++)
        {
            // Mostly ~1 KB values that cross chunk boundaries, with a value bigger than a chunk every so often.
            var text = i % 97 == 5 ? new string((char)('a' + (i % 26)), BatchMemory.ChunkBytes * 2 + i) : string.Concat(Enumerable.Repeat(i.ToString("D4"), 250 + i));
            var row = batch.AddRow();
            batch.SetUtf8(KmsSchema.RequestParametersJson, row, Encoding.UTF8.GetBytes(text));
            expected.Add(text);
        }

        for (var row = 0; row < expected.Count; row++)
        {
            Assert.Equal(expected[row], batch.GetString(KmsSchema.RequestParametersJson, row));
        }
    }

    [Fact]
    public void Text_that_is_not_valid_UTF8_is_stored_with_replacement_characters()
    {
        var batch = new KmsEventBatch();
        var row = batch.AddRow();
        batch.SetUtf8(KmsSchema.UserAgent, row, [(byte)'a', 0xC3, (byte)'b', 0xFF]);
        batch.SetChars(KmsSchema.SessionName, row, "x\ud800y");
        Assert.Equal("a\ufffdb\ufffd", batch.GetString(KmsSchema.UserAgent, row));
        Assert.Equal("x\ufffdy", batch.GetString(KmsSchema.SessionName, row));
        Assert.True(System.Text.Unicode.Utf8.IsValid(batch.GetUtf8(KmsSchema.UserAgent, row)));
    }

    [Fact]
    public void Appended_rows_read_back_cell_for_cell_after_their_source_is_released()
    {
        var source = new KmsEventBatch();
        var longJson = "{\"k\":\"" + new string('v', 600) + "\"}";
        for (var i = 0; i < 70; i++)
        {
            var row = source.AddRow();
            source.SetUtf8(KmsSchema.EventId, row, Encoding.UTF8.GetBytes("event-" + i));
            source.SetUtf8Interned(KmsSchema.EventName, row, "Decrypt"u8);
            source.SetUtf8Interned(KmsSchema.KeyArn, row, Encoding.UTF8.GetBytes("arn:aws:kms:us-east-1:111122223333:key/" + (i % 3)));
            source.SetUtf8(KmsSchema.ErrorCode, row, i % 4 == 0 ? [] : "AccessDenied"u8);
            source.SetUtf8(KmsSchema.UserAgent, row, [0x61, 0xff, 0x62]); // invalid UTF-8, stored as a replacement
            if (i % 5 == 0)
            {
                source.SetUtf8(KmsSchema.RequestParametersJson, row, Encoding.UTF8.GetBytes(longJson));
            }

            source.SetTimestamp(KmsSchema.EventTime, row, new DateTime(2026, 1, 15, 10, 0, 0, DateTimeKind.Utc).AddSeconds(i));
            source.SetEventDay(row, 739_000 + (i % 2));
            source.SetBoolean(KmsSchema.ReadOnly, row, i % 3 == 0 ? null : i % 2 == 0);
            source.SetInt32(KmsSchema.PendingWindowDays, row, i % 7 == 0 ? 7 + i : null);
        }

        var expected = Snapshot(source);
        var into = new KmsEventBatch();
        var earlier = into.AddRow();
        into.SetUtf8(KmsSchema.EventId, earlier, "already-here"u8);

        Assert.Equal(1, into.AppendRowsOf(source));
        source.Release();

        Assert.Equal(71, into.Count);
        Assert.Equal("already-here", into.GetString(KmsSchema.EventId, earlier));
        Assert.Equal(expected, Snapshot(into).Skip(1));
        Assert.True(into.IsNull(KmsSchema.RequestParametersJson, 2));
        Assert.Equal(string.Empty, into.GetString(KmsSchema.ErrorCode, 1));
    }

    private static List<string> Snapshot(KmsEventBatch batch)
    {
        var rows = new List<string>();
        for (var row = 0; row < batch.Count; row++)
        {
            var cells = new List<string>();
            for (var slot = 0; slot < KmsSchema.StringCount; slot++)
            {
                cells.Add(batch.IsNull(slot, row) ? "<null>" : "'" + batch.GetString(slot, row) + "'");
            }

            for (var slot = 0; slot < KmsSchema.TimestampCount; slot++)
            {
                cells.Add(batch.GetTimestamp(slot, row).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            }

            for (var slot = 0; slot < KmsSchema.BooleanCount; slot++)
            {
                cells.Add(batch.GetBoolean(slot, row)?.ToString() ?? "<null>");
            }

            for (var slot = 0; slot < KmsSchema.Int32Count; slot++)
            {
                cells.Add(batch.GetInt32(slot, row)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "<null>");
            }

            cells.Add(batch.GetEventDay(row).ToString(System.Globalization.CultureInfo.InvariantCulture));
            rows.Add(string.Join("|", cells));
        }

        return rows;
    }
}
