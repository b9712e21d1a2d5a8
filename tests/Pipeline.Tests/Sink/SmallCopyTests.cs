using Pipeline.Sink;

namespace Pipeline.Tests.Sink;

public sealed class SmallCopyTests
{
    [Fact]
    public void Copies_every_length_exactly_and_writes_nothing_past_the_source_length()
    {
        var source = Enumerable.Range(1, 200).Select(i => (byte)i).ToArray();
        for (var length = 0; length <= 130; length++)
        {
            var destination = Enumerable.Repeat((byte)0xEE, 200).ToArray();
            SmallCopy.To(source.AsSpan(3, length), destination.AsSpan(5));
            Assert.Equal(source.AsSpan(3, length).ToArray(), destination.AsSpan(5, length).ToArray());
            Assert.All(destination.AsSpan(0, 5).ToArray(), b => Assert.Equal(0xEE, b));
            Assert.All(destination.AsSpan(5 + length).ToArray(), b => Assert.Equal(0xEE, b));
        }
    }

    [Fact]
    public void A_destination_shorter_than_the_source_is_refused_like_CopyTo()
    {
        var source = new byte[40];
        var destination = new byte[39];
        Assert.Throws<ArgumentException>(() => SmallCopy.To(source, destination));
    }
}
