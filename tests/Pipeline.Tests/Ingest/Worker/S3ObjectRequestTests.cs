using Pipeline.Ingest.Notifications;
using Pipeline.Ingest.Worker;

namespace Pipeline.Tests.Ingest.Worker;

public sealed class S3ObjectRequestTests
{
    [Fact]
    public void A_non_empty_object_is_asked_for_as_the_open_range_from_byte_zero_whatever_size_the_notification_states()
    {
        var request = S3ObjectIngestor.NewGetObjectRequest(new NotificationObject("trail", "AWSLogs/o-1/x.json.gz", "abc", 1234, null));

        Assert.Equal("trail", request.BucketName);
        Assert.Equal("AWSLogs/o-1/x.json.gz", request.Key);
        Assert.NotNull(request.ByteRange);
        Assert.Equal("bytes=0-", request.ByteRange.FormattedByteRange);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0L)]
    public void An_object_of_unknown_or_zero_size_is_asked_for_without_a_range(long? size)
    {
        var request = S3ObjectIngestor.NewGetObjectRequest(new NotificationObject("trail", "k.json.gz", null, size, null));

        Assert.Null(request.ByteRange);
    }
}
