using Pipeline.Parsing;

namespace Pipeline.Tests.Parsing;

public sealed class ReadPathWarmupTests
{
    // The warm-up swallows failures by design (it is only an optimisation), so this is what notices a sample that no
    // longer goes through the whole read and write path, e.g. after a schema or parser change.
    [Fact]
    public async Task The_warm_up_sample_is_read_into_one_KMS_row_and_encoded_without_error()
    {
        Assert.Equal(1, await ReadPathWarmup.RunAsync());
    }
}
