using Pipeline.Sink;

namespace Pipeline.Tests.Support;

/// <summary>Builds <see cref="KmsEventBatch"/> rows directly, with every required column filled.</summary>
internal static class TestBatch
{
    public static KmsEventBatch Of(params TestEvent[] events)
    {
        var batch = new KmsEventBatch();
        foreach (var e in events)
        {
            Add(batch, e);
        }

        return batch;
    }

    public static int Add(KmsEventBatch batch, TestEvent e)
    {
        var row = batch.AddRow();
        batch.SetChars(KmsSchema.EventId, row, e.EventId);
        batch.SetTimestamp(KmsSchema.EventTime, row, e.EventTime);
        batch.SetEventDay(row, DateOnly.FromDateTime(e.EventTime).DayNumber);
        batch.SetChars(KmsSchema.EventName, row, e.EventName);
        batch.SetChars(KmsSchema.DedupeKey, row, e.EventId);
        batch.SetChars(KmsSchema.SrcKey, row, e.SrcKey);
        batch.SetInt32(KmsSchema.SrcRecordIndex, row, e.SrcRecordIndex);
        batch.SetTimestamp(KmsSchema.IngestTime, row, e.IngestTime);
        batch.SetBoolean(KmsSchema.IsCrossAccount, row, e.IsCrossAccount);
        batch.SetBoolean(KmsSchema.IsAwsServiceCall, row, false);
        batch.SetBoolean(KmsSchema.ReadOnly, row, e.ReadOnly);
        batch.SetInt32(KmsSchema.PendingWindowDays, row, e.PendingWindowDays);
        SetOptional(batch, KmsSchema.KeyArn, row, e.KeyArn);
        SetOptional(batch, KmsSchema.UserAgent, row, e.UserAgent);
        SetOptional(batch, KmsSchema.RequestParametersJson, row, e.RequestParametersJson);
        return row;
    }

    public static IReadOnlyList<RowRef> Rows(KmsEventBatch batch) => Enumerable.Range(0, batch.Count).Select(r => new RowRef(batch, r)).ToArray();

    public static DateTime Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0, int micros = 0) =>
        new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(micros * 10L);

    private static void SetOptional(KmsEventBatch batch, int slot, int row, string? value)
    {
        if (value is not null)
        {
            batch.SetChars(slot, row, value);
        }
    }
}
