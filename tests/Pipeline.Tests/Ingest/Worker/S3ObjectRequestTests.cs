using Pipeline.Ingest.Notifications;
using Pipeline.Ingest.Worker;

namespace Pipeline.Tests.Ingest.Worker;

public sealed class S3ObjectRequestTests
{
    [Theory]
    [InlineData(1234L)]
    [InlineData(null)] // CloudTrail's own notifications and the backfill's state no size
    public void An_object_not_known_to_be_empty_is_asked_for_as_the_open_range_from_byte_zero(long? size)
    {
        var request = S3ObjectIngestor.NewGetObjectRequest(new NotificationObject("trail", "AWSLogs/o-1/x.json.gz", "abc", size, null));

        Assert.Equal("trail", request.BucketName);
        Assert.Equal("AWSLogs/o-1/x.json.gz", request.Key);
        Assert.NotNull(request.ByteRange);
        Assert.Equal("bytes=0-", request.ByteRange.FormattedByteRange);
    }

    [Fact]
    public void An_object_the_notification_says_is_empty_is_asked_for_without_a_range()
    {
        var request = S3ObjectIngestor.NewGetObjectRequest(new NotificationObject("trail", "k.json.gz", null, 0, null));

        Assert.Null(request.ByteRange);
    }
}
