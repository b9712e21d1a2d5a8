using System.Globalization;
using Microsoft.Extensions.Configuration;
using Pipeline.Cli.Commands;
using Pipeline.Ingest.Worker;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Ingest.Worker;

public sealed class HealthCommandTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"pipeline-health-test-{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void Without_file_the_health_check_reads_the_file_the_worker_is_configured_to_write()
    {
        var configured = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Worker:HealthFile"] = "/run/pipeline/health.json" })
            .Build();
        var unset = new ConfigurationBuilder().Build();

        Assert.Equal("/run/pipeline/health.json", HealthCommand.DefaultHealthFile(configured));
        Assert.Equal(new WorkerOptions().HealthFile, HealthCommand.DefaultHealthFile(unset));
    }

    [Fact]
    public async Task A_fresh_running_state_is_healthy_and_a_stale_one_is_not()
    {
        await WriteAsync("Running", DateTime.UtcNow);
        Assert.Equal(0, (await CliRunner.RunAsync("health", "--file", _file)).ExitCode);

        await WriteAsync("Running", DateTime.UtcNow.AddMinutes(-5));
        var (exit, output, _) = await CliRunner.RunAsync("health", "--file", _file);
        Assert.Equal(1, exit);
        Assert.StartsWith("unhealthy: ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_health_file_that_is_not_the_workers_is_reported_unhealthy_not_thrown()
    {
        await File.WriteAllTextAsync(_file, "{\"state\":\"Run");
        var (exit, output, _) = await CliRunner.RunAsync("health", "--file", _file);
        Assert.Equal(1, exit);
        Assert.Contains("is not one the worker writes", output, StringComparison.Ordinal);

        await File.WriteAllTextAsync(_file, "{\"state\":\"Running\"}");
        (exit, output, _) = await CliRunner.RunAsync("health", "--file", _file);
        Assert.Equal(1, exit);
        Assert.Contains("is not one the worker writes", output, StringComparison.Ordinal);
    }

    private Task WriteAsync(string state, DateTime writtenAt) => File.WriteAllTextAsync(
        _file,
        string.Create(CultureInfo.InvariantCulture, $"{{\"state\":\"{state}\",\"reason\":null,\"written_at\":\"{writtenAt:O}\",\"last_receive\":null,\"in_flight_messages\":0}}"));
}
