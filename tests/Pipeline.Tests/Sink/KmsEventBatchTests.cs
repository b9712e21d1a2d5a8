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

        var capacity = batch.Capacity;
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
        Assert.Equal(capacity, batch.Capacity); // the row arrays are kept for reuse
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
}
