using System.Collections;
using Microsoft.Extensions.Configuration;
using Pipeline.Ingest.Worker;
using Pipeline.Parsing;
using Pipeline.Sink;

namespace Pipeline.Tests.Ingest.Worker;

/// <summary>
/// The <c>appsettings.json</c> shipped next to the binary lists the settings as a template. The worker loads it, so a
/// value there silently overrides the default in code (the concurrency default once changed in code only, and the
/// binary kept the old value). Every value it holds must be the code's default.
/// </summary>
public sealed class ShippedSettingsTests
{
    private static readonly IConfiguration Shipped = new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false)
        .Build();

    public static TheoryData<string> Sections => new() { WorkerOptions.Section, SinkOptions.Section, ReaderOptions.Section };

    [Theory]
    [MemberData(nameof(Sections))]
    public void The_shipped_appsettings_json_holds_the_code_defaults(string section)
    {
        var (bound, defaults) = section switch
        {
            WorkerOptions.Section => Bind<WorkerOptions>(section),
            SinkOptions.Section => Bind<SinkOptions>(section),
            _ => Bind<ReaderOptions>(section),
        };

        Assert.True(Shipped.GetSection(section).Exists(), $"appsettings.json has no '{section}' section");
        foreach (var property in bound.GetType().GetProperties().Where(p => p.CanRead && p.CanWrite))
        {
            var shipped = property.GetValue(bound);
            var inCode = property.GetValue(defaults);
            var same = shipped is IEnumerable a and not string && inCode is IEnumerable b
                ? a.Cast<object>().SequenceEqual(b.Cast<object>())
                : Equals(shipped, inCode);
            Assert.True(same, $"{section}:{property.Name} is {shipped} in appsettings.json but {inCode} in code");
        }
    }

    private static (object Bound, object Defaults) Bind<T>(string section)
        where T : new()
    {
        var bound = new T();
        Shipped.GetSection(section).Bind(bound);
        return (bound, new T());
    }
}
