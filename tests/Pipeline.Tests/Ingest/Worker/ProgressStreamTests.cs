using Pipeline.Ingest.Worker;

namespace Pipeline.Tests.Ingest.Worker;

public sealed class ProgressStreamTests
{
    [Fact]
    public async Task Every_read_that_returns_bytes_is_reported_and_the_end_of_the_body_is_not()
    {
        var calls = 0;
        var body = new MemoryStream(new byte[300]);
        await using var stream = new ProgressStream(body, () => calls++);
        var buffer = new byte[128];

        Assert.Equal(128, await stream.ReadAsync(buffer));
        Assert.Equal(128, stream.Read(buffer));
        Assert.Equal(44, await stream.ReadAsync(buffer));
        Assert.Equal(0, await stream.ReadAsync(buffer));

        Assert.Equal(3, calls);
        Assert.True(body.CanRead, "disposing the wrapper must leave the body to its owner");
    }
}
