using Pipeline.Reporting;

namespace Pipeline.Tests.Reporting;

public sealed class CountedTests
{
    [Theory]
    [InlineData(0, "0 calls")]
    [InlineData(1, "1 call")]
    [InlineData(2, "2 calls")]
    [InlineData(12345, "12,345 calls")]
    public void A_count_agrees_with_its_noun(long count, string expected) => Assert.Equal(expected, Counted.Of(count, "call"));

    [Fact]
    public void An_irregular_plural_is_used_when_given() => Assert.Equal("3 key policies", Counted.Of(3, "key policy", "key policies"));
}
