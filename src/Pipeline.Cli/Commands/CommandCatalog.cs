using System.CommandLine;

namespace Pipeline.Cli.Commands;

/// <summary>Every sub-command of the CLI, in the order <c>--help</c> lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return DemoCommand.Create();
        yield return IngestCommand.Create();
        yield return QueryCommand.Create();
        yield return CompactCommand.Create();
        yield return ReportCommand.Create();
        yield return GenerateCommand.Create();
        yield return WorkerCommand.Create();
        yield return BackfillCommand.Create();
        yield return HealthCommand.Create();
    }
}
