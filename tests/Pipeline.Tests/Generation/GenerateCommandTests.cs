using Pipeline.Cli;

namespace Pipeline.Tests.Generation;

public sealed class GenerateCommandTests
{
    [Fact]
    public async Task Generate_command_writes_an_archive_and_exits_with_zero()
    {
        var dir = Path.Combine(Path.GetTempPath(), "gen-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            var code = await Program.BuildRoot().Parse(["generate", "--out", dir, "--days", "1", "--end-date", "2026-01-15", "--size-mb", "1"]).InvokeAsync();
            Assert.Equal(0, code);
            Assert.True(File.Exists(Path.Combine(dir, "manifest.json")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("--days", "0")]
    [InlineData("--end-date", "15/01/2026")]
    [InlineData("--size-mb", "-1")]
    [InlineData("--delivery-minutes", "4")]
    [InlineData("--delivery-minutes", "1441")]
    public async Task Generate_command_rejects_bad_arguments_with_a_non_zero_exit(string option, string value)
    {
        var dir = Path.Combine(Path.GetTempPath(), "gen-cli-" + Guid.NewGuid().ToString("N"));
        var code = await Program.BuildRoot().Parse(["generate", "--out", dir, option, value]).InvokeAsync();
        Assert.NotEqual(0, code);
    }

    [Fact]
    public async Task Generate_command_fails_cleanly_when_the_output_is_not_writable()
    {
        var file = Path.GetTempFileName();
        try
        {
            var code = await Program.BuildRoot().Parse(["generate", "--out", file, "--days", "1", "--size-mb", "1"]).InvokeAsync();
            Assert.NotEqual(0, code);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
