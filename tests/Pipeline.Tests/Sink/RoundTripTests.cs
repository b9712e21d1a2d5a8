using Pipeline.Query;
using Pipeline.Sink;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sink;

public sealed class RoundTripTests : IDisposable
{
    private readonly TempDataset _dataset = new();

    public void Dispose() => _dataset.Dispose();

    [Fact]
    public async Task Every_column_value_reads_back_equal_through_kms_events()
    {
        var batch = new KmsEventBatch();
        var full = batch.AddRow();
        var sparse = batch.AddRow();
        var eventTime = TestBatch.Utc(2024, 2, 29, 23, 59, 59, 123_456);
        var longJson = "{\"k\":\"" + new string('x', 100_000) + "\",\"ü\":\"🔑\"}";
        foreach (var row in new[] { full, sparse })
        {
            batch.SetEventDay(row, DateOnly.FromDateTime(eventTime).DayNumber);
            batch.SetTimestamp(KmsSchema.EventTime, row, eventTime);
            batch.SetTimestamp(KmsSchema.IngestTime, row, TestBatch.Utc(2024, 3, 1, 0, 0, 0, 1));
            batch.SetBoolean(KmsSchema.IsCrossAccount, row, row == full);
            batch.SetBoolean(KmsSchema.IsAwsServiceCall, row, row != full);
            batch.SetInt32(KmsSchema.SrcRecordIndex, row, row + 41);
        }

        // Row "full": every string column gets a distinct value; row "sparse": only the required ones.
        foreach (var column in KmsSchema.Columns.Where(c => c.Kind == ColumnKind.String))
        {
            var value = column.Slot == KmsSchema.RequestParametersJson ? longJson : column.Name + " ✓ Ünïcødé \u001b[31m, \"q\"";
            batch.SetChars(column.Slot, full, value);
            if (!column.Nullable)
            {
                batch.SetChars(column.Slot, sparse, column.Slot == KmsSchema.EventId ? "sparse" : string.Empty);
            }
        }

        batch.SetBoolean(KmsSchema.ReadOnly, full, false);
        batch.SetBoolean(KmsSchema.ManagementEvent, full, true);
        batch.SetBoolean(KmsSchema.BypassPolicyLockoutSafetyCheck, full, true);
        batch.SetInt32(KmsSchema.PendingWindowDays, full, 7);
        await _dataset.Writer().WriteBatchAsync(batch, CancellationToken.None);

        using var query = DatasetQuery.Open(_dataset.Root);
        var names = string.Join(", ", KmsSchema.Columns.Select(c => c.Name));
        var rows = await query.QueryRowsAsync("SELECT " + names + " FROM kms_events ORDER BY event_id = 'sparse'", CancellationToken.None);

        Assert.Equal(2, rows.Count);
        for (var i = 0; i < 2; i++)
        {
            for (var c = 0; c < KmsSchema.Columns.Length; c++)
            {
                Assert.True(Equals(BatchRows.Value(batch, KmsSchema.Columns[c], i), rows[i][c]), $"{KmsSchema.Columns[c].Name} row {i}: expected {BatchRows.Value(batch, KmsSchema.Columns[c], i)} ({BatchRows.Value(batch, KmsSchema.Columns[c], i)?.GetType()}), got {rows[i][c]} ({rows[i][c]?.GetType()}, {(rows[i][c] as DateTime?)?.Kind})");
            }
        }

        var readTime = (DateTime)rows[0][KmsSchema.IndexOf("event_time")]!;
        Assert.Equal(eventTime.Ticks, readTime.ToUniversalTime().Ticks);
    }

}
